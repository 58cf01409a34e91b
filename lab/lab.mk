# Rehearsal lab targets (included by ../Makefile). labctl is stdlib-only Python and exports
# CONTAINERS_CONF itself. Sizes: make lab-up LAB_COMPUTES=5 LAB_V1_CONTROLLERS=3 ...
LABCTL := python3 $(abspath lab/labctl)

.PHONY: lab-images lab-up lab-down lab-status

lab-images:  ## build the lab images that are not current (content-hash tags)
	$(LABCTL) images

lab-up:  ## start the lab (builds images when missing) and wait until healthy
	$(LABCTL) up

lab-down:  ## remove every lab container and the lab network
	$(LABCTL) down

lab-status:  ## nodes, versions and health checks of the running lab
	$(LABCTL) status
