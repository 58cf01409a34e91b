# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""HAProxy's server-state text (format 1) as the unit tests of haproxy_config, haproxy_runtime
and haproxy_backend feed it: what ``show servers state`` answers and a server-state-file holds.

Written out here as HAProxy 2.6 prints it, not taken from the product code, so a parser that
expects other columns fails its tests.
"""

from __future__ import annotations

#: The format version line and the column header that start the text.
SERVERS_STATE_HEADER = (
    "1\n"
    "# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight"
    " srv_iweight srv_time_since_last_change srv_check_status srv_check_result"
    " srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id"
    " srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr"
    " srv_agent_addr srv_agent_port\n")


def servers_state(rows):
    """The text holding ``rows`` of (backend, server id, server, address, admin state bits,
    port): each server running (op state 2) with its checks passing, as HAProxy prints it."""
    return SERVERS_STATE_HEADER + ''.join(
        '3 %s %d %s %s 2 %d 1 1 4 6 3 4 6 0 0 0 - %d - 0 0 - - 0\n' % tuple(row) for row in rows)
