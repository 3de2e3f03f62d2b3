/*
 * tun.c - tun and tap devices (see tun.h).
 */
#include "tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "link.h"
#include "netns.h"

#define TUN_CLONE_DEVICE "/dev/net/tun"


void tun_spec_init (struct tun_spec *s) {
  memset(s, 0, sizeof *s);
  s->mode = TUN_MODE_TAP;
  s->owner = s->group = -1;
}


enum tun_mode tun_mode_parse (const char *text) {
  if (!strcmp(text, "tun")) return TUN_MODE_TUN;
  if (!strcmp(text, "tap")) return TUN_MODE_TAP;
  return 0;
}


const char *tun_mode_name (enum tun_mode mode) {
  return mode == TUN_MODE_TUN ? "tun" : mode == TUN_MODE_TAP ? "tap" : NULL;
}


/*
** {==================================================================
** Creating
** ===================================================================
*/

/*
** Open the clone device, run inside the namespace (netns_call): the
** namespace of the opener is where TUNSETIFF will create the device.
*/
static int open_clone (void *unused, struct err *e) {
  (void)unused;
  int fd = open(TUN_CLONE_DEVICE, O_RDWR | O_CLOEXEC);
  if (fd >= 0) return fd;
  int code = errno;
  return err_set(e, code, "open %s: %s", TUN_CLONE_DEVICE, strerror(code));
}


/*
** IFF_TUN_EXCL: without it, TUNSETIFF on the name of an existing tun
** device attaches to that device instead of failing.
*/
static short iff_flags (const struct tun_spec *s) {
  short flags = (short)(s->mode | IFF_TUN_EXCL);
  if (!s->pi) flags |= IFF_NO_PI;
  if (s->vnet_hdr) flags |= IFF_VNET_HDR;
  if (s->multi_queue) flags |= IFF_MULTI_QUEUE;
  return flags;
}


/*
** Owner, group, then persistence; until TUNSETPERSIST, closing fd takes
** the device away again, so a failure leaves nothing behind.
*/
static int configure (int fd, const struct tun_spec *s, struct err *e) {
  if (s->owner >= 0 && ioctl(fd, TUNSETOWNER, (unsigned long)s->owner) < 0)
    return err_set(e, errno, "set owner %ld: %s", s->owner, strerror(errno));
  if (s->group >= 0 && ioctl(fd, TUNSETGROUP, (unsigned long)s->group) < 0)
    return err_set(e, errno, "set group %ld: %s", s->group, strerror(errno));
  if (ioctl(fd, TUNSETPERSIST, 1UL) < 0)
    return err_set(e, errno, "make persistent: %s", strerror(errno));
  return 0;
}


int tun_add (int netns_fd, const struct tun_spec *s, char *name_out,
             struct err *e) {
  struct ifreq ifr;
  if (link_name_ok(s->name, e) < 0) return -1;
  if (tun_mode_name(s->mode) == NULL)
    return err_set(e, EINVAL, "mode must be tun or tap");
  int fd = netns_call(netns_fd, open_clone, NULL, e);
  if (fd < 0) return -1;
  memset(&ifr, 0, sizeof ifr);
  snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", s->name);
  ifr.ifr_flags = iff_flags(s);
  int rc = ioctl(fd, TUNSETIFF, &ifr);
  if (rc < 0 && errno == EBUSY) err_set(e, EEXIST, NULL);
  else if (rc < 0) err_errno(e);
  else rc = configure(fd, s, e);
  if (rc == 0 && name_out) memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
  close(fd);
  return rc;
}

/* }================================================================== */


/*
** {==================================================================
** Reading: RTM_GETLINK, kind "tun"
** ===================================================================
*/

static int data_attr (const struct nlattr *attr, void *data) {
  struct tun_info *t = data;
  size_t len = mnl_attr_get_payload_len(attr);
  int type = mnl_attr_get_type(attr);
  if (len == 1) {
    int v = mnl_attr_get_u8(attr);
    switch (type) {
    case IFLA_TUN_TYPE: t->mode = tun_mode_name(v) ? (enum tun_mode)v : 0; break;
    case IFLA_TUN_PI: t->pi = v; break;
    case IFLA_TUN_VNET_HDR: t->vnet_hdr = v; break;
    case IFLA_TUN_PERSIST: t->persist = v; break;
    case IFLA_TUN_MULTI_QUEUE: t->multi_queue = v; break;
    }
  } else if (len == 4) {
    uint32_t v = mnl_attr_get_u32(attr);
    switch (type) {
    case IFLA_TUN_OWNER: t->owner = v; break;
    case IFLA_TUN_GROUP: t->group = v; break;
    case IFLA_TUN_NUM_QUEUES: t->num_queues = v; break;
    case IFLA_TUN_NUM_DISABLED_QUEUES: t->num_disabled_queues = v; break;
    }
  }
  return MNL_CB_OK;
}


void tun_parse_data (const struct nlattr *data, struct tun_info *t) {
  t->mode = 0;
  t->pi = t->vnet_hdr = t->multi_queue = t->persist = 0;
  t->owner = t->group = -1;
  t->num_queues = t->num_disabled_queues = 0;
  if (data) mnl_attr_parse_nested(data, data_attr, t);
}


/* While parsing one link: is it a tun, and where is its data? */
struct scan {
  struct tun_info *t;
  int is_tun;
  const struct nlattr *data;
};


static int info_attr (const struct nlattr *attr, void *arg) {
  struct scan *s = arg;
  if (mnl_attr_get_type(attr) == IFLA_INFO_KIND &&
      mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
    s->is_tun = !strcmp(mnl_attr_get_str(attr), "tun");
  else if (mnl_attr_get_type(attr) == IFLA_INFO_DATA)
    s->data = attr;
  return MNL_CB_OK;
}


static int link_attr (const struct nlattr *attr, void *arg) {
  struct scan *s = arg;
  if (mnl_attr_get_type(attr) == IFLA_IFNAME &&
      mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
    snprintf(s->t->ifname, sizeof s->t->ifname, "%s", mnl_attr_get_str(attr));
  else if (mnl_attr_get_type(attr) == IFLA_LINKINFO)
    mnl_attr_parse_nested(attr, info_attr, s);
  return MNL_CB_OK;
}


/* Keep (1) a link of kind "tun", skip (0) the others. */
static int parse_tun (const struct nlmsghdr *nlh, void *item) {
  const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  struct scan s = { item, 0, NULL };
  memset(s.t, 0, sizeof *s.t);
  s.t->ifindex = ifi->ifi_index;
  if (mnl_attr_parse(nlh, sizeof *ifi, link_attr, &s) < 0) return -1;
  if (!s.is_tun) return 0;
  tun_parse_data(s.data, s.t);
  return 1;
}


int tun_list (struct nl *nl, struct tun_info **out, size_t *count,
              struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_GETLINK, NLM_F_DUMP);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  return nl_collect(nl, nlh, RTM_NEWLINK, parse_tun, sizeof **out,
                    (void **)out, count, e);
}

/* }================================================================== */
