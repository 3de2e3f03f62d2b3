/*
 * kind_veth.c - a veth pair: `ip link add A type veth peer name B`.
 */
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include "link_kind.h"

/* VETH_INFO_PEER carries a whole ifinfomsg and attributes of its own; the
 * peer can be born in its namespace with its final name and one queue
 * each way, as the first end (see link.c). */
static void put (struct nlmsghdr *nlh, const struct link_spec *s,
                 const void *data) {
  (void)data;
  struct nlattr *nest = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  struct nlattr *peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  if (s->peer) mnl_attr_put_strz(nlh, IFLA_IFNAME, s->peer);
  if (s->peer_netns_fd >= 0)
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)s->peer_netns_fd);
  if (s->mtu) mnl_attr_put_u32(nlh, IFLA_MTU, s->mtu);
  mnl_attr_put_u32(nlh, IFLA_NUM_TX_QUEUES, 1);
  mnl_attr_put_u32(nlh, IFLA_NUM_RX_QUEUES, 1);
  mnl_attr_nest_end(nlh, peer);
  mnl_attr_nest_end(nlh, nest);
}

static const struct kind_field fields[] = {{NULL}};

const struct link_kind kind_veth = {
    .name = "veth",
    .kernel = "veth",
    .size = 0,
    .fields = fields,
    .flags = LINK_KIND_PEER | LINK_KIND_ONE_QUEUE,
    .doc = "a pair of devices: what goes in one comes out of the other",
    .put = put,
};
