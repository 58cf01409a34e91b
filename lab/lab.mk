# Rehearsal lab targets (included by ../Makefile, which provides `deps` and exports
# CONTAINERS_CONF and a PATH with .venv/bin; labctl is stdlib-only Python and sets CONTAINERS_CONF
# itself too). Sizes: make lab-up LAB_COMPUTES=5 LAB_V1_CONTROLLERS=3 LAB_VMS_PER_COMPUTE=2 ...
LABCTL := python3 $(abspath lab/labctl)

.PHONY: lab-images lab-up lab-down lab-status

lab-images: deps  ## build the lab images that are not current (debootstrap base, content-hash tags)
	$(LABCTL) images

lab-up: deps  ## start the lab (builds images when missing) and wait until fully healthy
	$(LABCTL) up

lab-down:  ## remove every lab container and the lab network
	$(LABCTL) down

lab-status:  ## nodes, versions and health checks of the running lab (exit 1 when unhealthy)
	$(LABCTL) status
