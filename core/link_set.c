/*
 * link_set.c - changing a device, all of it or none of it.
 *
 * The kernel applies one RTM_NEWLINK in turn: a bridge's options, the
 * namespace, the address, the MTU, the name, the master, the flags, IPv6's
 * address generation mode; and when one fails it keeps what came before
 * (rtnetlink.c, do_setlink). So a change is checked first against what a
 * read of the device says the kernel would refuse, and whatever fails
 * anyway is put back as it was read.
 */
#include "link.h"
#include "link_kind.h"

#include <errno.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* <net/if.h> (needed by link.h) lacks it; the value of <linux/if.h>. */
#ifndef IFF_LOOPBACK
#define IFF_LOOPBACK 0x8
#endif

/* Keep the kernel's words when it gave some; else add why after
 * strerror, the way nl.c shows an extended ACK. */
static int explain (struct err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int explain (struct err *e, const char *fmt, ...) {
  char why[256];
  va_list ap;
  if (e->reason[0]) return -1;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  return err_set(e, e->code, "%s (%s)", strerror(e->code), why);
}

/* A refusal of our own: code, and why. */
static int refuse (struct err *e, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse (struct err *e, int code, const char *fmt, ...) {
  char why[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(why, sizeof why, fmt, ap);
  va_end(ap);
  return err_set(e, code, "%s (%s)", strerror(code), why);
}

/* Start an RTM_NEWLINK for the device ifindex. */
static struct nlmsghdr *set_msg (struct nl *nl, void *buf, int ifindex) {
  struct nlmsghdr *nlh = nl_msg(nl, buf, RTM_NEWLINK, 0);
  struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  return nlh;
}

static void put_addrgenmode (struct nlmsghdr *nlh, int mode) {
  struct nlattr *spec = mnl_attr_nest_start(nlh, IFLA_AF_SPEC);
  struct nlattr *inet6 = mnl_attr_nest_start(nlh, AF_INET6);
  mnl_attr_put_u8(nlh, IFLA_INET6_ADDR_GEN_MODE, (uint8_t)mode);
  mnl_attr_nest_end(nlh, inet6);
  mnl_attr_nest_end(nlh, spec);
}

static void put_bridge (struct nlmsghdr *nlh, const struct bridge_opts *b) {
  struct nlattr *info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
  put_bridge_data(nlh, b);
  mnl_attr_nest_end(nlh, info);
}

/* Is name in use in the namespace of nl by a device other than ifindex?
 * (A lookup by name finds alternative names too, as the kernel's check.) */
static int name_taken (struct nl *nl, const char *name, int ifindex,
                       struct err *e) {
  struct link_info other;
  if (link_get(nl, 0, name, &other, e) == 0) return other.ifindex != ifindex;
  return e->code == ENODEV ? 0 : -1;
}

/*
** {======================================================
** What the kernel would refuse midway
** =======================================================
*/

/* *out: the ifindex of c's new master (a name is looked up; 0 for none,
 * -1 unchanged), after checking that the master takes ports and would
 * take this one: the kernel detaches a port from its old master before
 * it asks the new one, and refuses some ports without words. */
static int check_master (struct nl *nl, const struct link_info *dev,
                         const struct link_change *c, int *out, struct err *e) {
  struct link_info m;
  int master = *out = c->master;
  if (!c->master_name && master <= 0) return 0;
  if (link_get(nl, c->master_name ? 0 : master, c->master_name, &m, e) < 0) {
    if (e->code != ENODEV) return -1;
    if (c->master_name)
      return refuse(e, ENODEV, "master %s does not exist", c->master_name);
    return refuse(e, ENODEV, "no master with ifindex %d", master);
  }
  master = *out = m.ifindex;
  if (dev->master && dev->master != master) {
    char label[32];
    struct link_info old;
    snprintf(label, sizeof label, "ifindex %d", dev->master);
    if (link_get(nl, dev->master, NULL, &old, e) == 0)
      snprintf(label, sizeof label, "%s", old.ifname);
    return refuse(e, EBUSY, "%s is already a port of %s", dev->ifname, label);
  }
  if (dev->master == master) return 0;
  if (strcmp(m.kind, "bridge"))
    return refuse(e, EOPNOTSUPP, "master %s is %s%s, not a bridge", m.ifname,
                  m.kind[0] ? "a " : "a device of no kind", m.kind);
  /* br_add_if's refusals. */
  if (master == dev->ifindex || !strcmp(dev->kind, "bridge"))
    return refuse(e, ELOOP,
                  "%s is a bridge: a bridge cannot be a port of a bridge",
                  dev->ifname);
  if (dev->flags & IFF_LOOPBACK)
    return refuse(e, EINVAL,
                  "%s is a loopback device, which cannot be a bridge port",
                  dev->ifname);
  if (dev->type != ARPHRD_ETHER)
    return refuse(e, EINVAL,
                  "%s is not an Ethernet device, which a bridge port must be",
                  dev->ifname);
  return 0;
}

static int unicast_ether (const unsigned char *a) {
  static const unsigned char zero[6];
  return !(a[0] & 1) && memcmp(a, zero, sizeof zero);
}

/* Every part the kernel would refuse after applying an earlier one; dev
 * is the device as read now, target a socket in the namespace it moves
 * to (or NULL). *master as check_master sets it. */
static int check_change (struct nl *nl, struct nl *target,
                         const struct link_info *dev,
                         const struct link_change *c, int *master,
                         struct err *e) {
  int moving = target != NULL;
  const char *final_name = c->name ? c->name : dev->ifname;
  if (moving && ((dev->flags & IFF_LOOPBACK) || !strcmp(dev->kind, "bridge")))
    return refuse(
        e, EINVAL, "%s is %s, whose namespace cannot change", dev->ifname,
        (dev->flags & IFF_LOOPBACK) ? "a loopback device" : "a bridge");
  if (moving && (c->master >= 0 || c->master_name))
    return refuse(e, EINVAL,
                  "master and netns cannot change together: "
                  "move first, then set the master there");
  if (c->bridge && strcmp(dev->kind, "bridge"))
    return refuse(e, EOPNOTSUPP, "%s is not a bridge", dev->ifname);
  if (c->bridge && c->bridge->forward_delay >= 0 &&
      (c->bridge->stp > 0 ||
       (c->bridge->stp < 0 && link_info_bridge(dev)->stp > 0)) &&
      (c->bridge->forward_delay < 200 || c->bridge->forward_delay > 3000))
    return refuse(e, ERANGE, "forward_delay must be 2..30 s with STP on");
  if (c->addr_len) {
    if (dev->addr_len == 0)
      return refuse(e, EOPNOTSUPP, "%s has no hardware address", dev->ifname);
    if (c->addr_len != dev->addr_len)
      return refuse(e, EINVAL,
                    "%d bytes given, but a hardware address of %s has %d",
                    c->addr_len, dev->ifname, dev->addr_len);
    if (dev->type == ARPHRD_ETHER && !unicast_ether(c->address)) {
      char hw[LINK_ADDR_MAX * 3];
      link_format_hw(c->address, c->addr_len, hw, sizeof hw);
      return refuse(e, EADDRNOTAVAIL,
                    "%s is multicast or zero, not a unicast Ethernet address",
                    hw);
    }
  }
  if (c->mtu && dev->max_mtu &&
      (c->mtu < dev->min_mtu || c->mtu > dev->max_mtu))
    return refuse(e, EINVAL, "mtu %u is out of %s's range %u..%u", c->mtu,
                  dev->ifname, dev->min_mtu, dev->max_mtu);
  if (c->addrgenmode >= 0 && (c->mtu ? c->mtu : dev->mtu) < IPV6_MIN_MTU)
    return refuse(e, EAFNOSUPPORT,
                  "addrgenmode needs IPv6, which is off below mtu %d",
                  IPV6_MIN_MTU);
  if (c->name && strcmp(c->name, dev->ifname)) {
    int taken = name_taken(nl, c->name, dev->ifindex, e);
    if (taken < 0) return -1;
    if (taken && !moving)
      return refuse(e, EEXIST, "a device named %s exists", c->name);
  }
  if (moving) {
    int taken = name_taken(target, final_name, 0, e);
    if (taken < 0) return -1;
    if (taken)
      return refuse(e, EEXIST, "the target netns has a device named %s",
                    final_name);
  }
  return check_master(nl, dev, c, master, e);
}

/* }====================================================== */

/*
** {======================================================
** Undoing what the kernel kept
** =======================================================
*/

/* Put the device ifindex (in the namespace of nl) back as was says, for
 * each part c asked to change. */
static int restore (struct nl *nl, int ifindex, const struct link_info *was,
                    const struct link_change *c, struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct link_info now;
  int parts = 0;
  if (link_get(nl, ifindex, NULL, &now, e) < 0) return -1;
  struct nlmsghdr *nlh = set_msg(nl, buf, ifindex);
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  if ((now.flags ^ was->flags) & IFF_UP) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = was->flags & IFF_UP;
    parts++;
  }
  if (strcmp(now.ifname, was->ifname)) {
    mnl_attr_put_strz(nlh, IFLA_IFNAME, was->ifname);
    parts++;
  }
  if (now.mtu != was->mtu) {
    mnl_attr_put_u32(nlh, IFLA_MTU, was->mtu);
    parts++;
  }
  if (c->addr_len &&
      (now.addr_len != was->addr_len ||
       memcmp(now.address, was->address, (size_t)was->addr_len))) {
    mnl_attr_put(nlh, IFLA_ADDRESS, (size_t)was->addr_len, was->address);
    parts++;
  }
  if (now.master != was->master) {
    mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)was->master);
    parts++;
  }
  if (c->addrgenmode >= 0 && now.addrgenmode >= 0 && was->addrgenmode >= 0 &&
      now.addrgenmode != was->addrgenmode) {
    put_addrgenmode(nlh, was->addrgenmode);
    parts++;
  }
  if (c->bridge && link_info_bridge(was) &&
      memcmp(link_info_bridge(&now), link_info_bridge(was),
             sizeof(struct bridge_opts))) {
    struct bridge_opts b = *link_info_bridge(was);
    put_bridge(nlh, &b);
    parts++;
  }
  return parts ? nl_request(nl, nlh, e) : 0;
}

/* A device that moved to target and failed there (under its new name if
 * the rename came before the failure): send it back with its old name,
 * which is free where it was, and find its ifindex there. */
static int move_back (struct nl *nl, struct nl *target,
                      const struct link_info *was, const struct link_change *c,
                      struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct link_info there;
  if ((!c->name || link_get(target, 0, c->name, &there, e) < 0) &&
      link_get(target, 0, was->ifname, &there, e) < 0)
    return -1;
  int home = ioctl(mnl_socket_get_fd(nl->sock), SIOCGSKNS);
  if (home < 0) return err_errno(e);
  struct nlmsghdr *nlh = set_msg(target, buf, there.ifindex);
  mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)home);
  mnl_attr_put_strz(nlh, IFLA_IFNAME, was->ifname);
  int rc = nl_request(target, nlh, e);
  close(home);
  if (rc < 0) return -1;
  return link_index(nl, was->ifname, e);
}

/* Is fd the namespace of nl's socket (a "move" there moves nothing)? */
static int is_home (struct nl *nl, int fd) {
  struct stat a, b;
  int home = ioctl(mnl_socket_get_fd(nl->sock), SIOCGSKNS);
  if (home < 0) return 0;
  int same = fstat(home, &a) == 0 && fstat(fd, &b) == 0 &&
             a.st_ino == b.st_ino && a.st_dev == b.st_dev;
  close(home);
  return same;
}

/* After a refusal of the kernel's: put back what it kept, and say so if
 * that fails too. */
static void undo (struct nl *nl, struct nl *target, const struct link_info *was,
                  const struct link_change *c, struct err *e) {
  struct err u;
  int ifindex = was->ifindex;
  if (target) {
    struct link_info here;
    if (link_get(nl, was->ifindex, NULL, &here, &u) < 0) {
      if (u.code != ENODEV || (ifindex = move_back(nl, target, was, c, &u)) < 0)
        goto failed;
    }
  }
  if (restore(nl, ifindex, was, c, &u) == 0) return;
failed:;
  size_t n = strlen(e->reason);
  if (!n)
    n = (size_t)snprintf(e->reason, sizeof e->reason, "%s", strerror(e->code));
  if (n < sizeof e->reason)
    snprintf(e->reason + n, sizeof e->reason - n,
             "; undoing the rest failed: %s", err_text(&u));
}

/* }====================================================== */

/* The kernel refuses these without words; say why. */
static int explain_refusal (const struct link_change *c, struct err *e) {
  if (e->reason[0]) return -1;
  if (e->code == ERANGE && c->bridge && c->bridge->forward_delay >= 0)
    return explain(e, "forward_delay must be 2..30 s with STP on");
  return -1;
}

/* How many parts c changes. */
static int parts_of (const struct link_change *c) {
  return (c->name != NULL) + (c->up >= 0) + (c->mtu != 0) + (c->addr_len != 0) +
         (c->netns_fd >= 0) + (c->master >= 0 || c->master_name != NULL) +
         (c->addrgenmode >= 0) + (c->bridge != NULL);
}

static int send_change (struct nl *nl, int ifindex, const char *name,
                        const struct link_change *c, int master,
                        struct err *e) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  struct nlmsghdr *nlh = set_msg(nl, buf, ifindex);
  struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
  /* With no index the kernel looks the device up by IFLA_IFNAME (a
     rename always has the index). */
  if (ifindex <= 0) mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
  if (c->up >= 0) {
    ifi->ifi_change = IFF_UP;
    ifi->ifi_flags = c->up ? IFF_UP : 0;
  }
  if (c->name) mnl_attr_put_strz(nlh, IFLA_IFNAME, c->name);
  if (c->mtu) mnl_attr_put_u32(nlh, IFLA_MTU, c->mtu);
  if (c->addr_len)
    mnl_attr_put(nlh, IFLA_ADDRESS, (size_t)c->addr_len, c->address);
  if (c->netns_fd >= 0)
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)c->netns_fd);
  if (master >= 0) mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
  if (c->addrgenmode >= 0) put_addrgenmode(nlh, c->addrgenmode);
  if (c->bridge) put_bridge(nlh, c->bridge);
  return nl_request(nl, nlh, e);
}

int link_set (struct nl *nl, int ifindex, const char *name,
              const struct link_change *c, struct err *e) {
  struct link_info dev;
  struct nl target = {0};
  int master = c->master, rc;
  if (ifindex <= 0 && link_name_ok(name, e) < 0) return -1;
  if (c->name && link_name_ok(c->name, e) < 0) return -1;
  if (c->bridge && bridge_opts_ok(c->bridge, e) < 0) return -1;
  /* One part alone is applied whole or refused whole by the kernel (a
     new master, a rename and bridge options still need their checks, and
     an address: the kernel takes a longer one than the device's, cut). */
  if (parts_of(c) <= 1 && !c->name && master <= 0 && !c->master_name &&
      !c->bridge && !c->addr_len) {
    if (send_change(nl, ifindex, name, c, master, e) == 0) return 0;
    return explain_refusal(c, e);
  }
  if (link_get(nl, ifindex, name, &dev, e) < 0) return -1;
  /* A socket in the namespace it moves to: to look for its new name
     there, and to bring it back if it fails there. */
  if (c->netns_fd >= 0 && !is_home(nl, c->netns_fd) &&
      nl_open(&target, NETLINK_ROUTE, c->netns_fd, e) < 0)
    return -1;
  rc = check_change(nl, target.sock ? &target : NULL, &dev, c, &master, e);
  /* A new master goes first and alone: a bridge refuses ports for
     reasons no read shows (a device with macvlans on it), and an MTU
     applied before would already have reached such dependents. With only
     IPv6's address generation mode besides, it goes in the same message:
     do_setlink applies that after the master, so a refused master leaves
     nothing (one request per port fewer: docker.run's attach). */
  int only_after_master = parts_of(c) == 2 && c->addrgenmode >= 0;
  if (rc == 0 && master > 0 && master != dev.master && !only_after_master) {
    struct link_change only;
    link_change_init(&only);
    if ((rc = send_change(nl, dev.ifindex, NULL, &only, master, e)) < 0)
      explain_refusal(c, e);
    master = -1;
    if (parts_of(c) == 1) goto done;
  }
  if (rc == 0 && (rc = send_change(nl, dev.ifindex, NULL, c, master, e)) < 0) {
    undo(nl, target.sock ? &target : NULL, &dev, c, e);
    explain_refusal(c, e);
  }
done:
  nl_close(&target);
  return rc;
}
