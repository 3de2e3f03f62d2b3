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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "link.h"
#include "link_kind.h"
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
  if (rc < 0 && errno == EBUSY)
    err_set(e, EEXIST, NULL);
  else if (rc < 0)
    err_errno(e);
  else
    rc = configure(fd, s, e);
  if (rc == 0 && name_out) memcpy(name_out, ifr.ifr_name, IFNAMSIZ);
  close(fd);
  return rc;
}

/* }================================================================== */

/*
** {==================================================================
** Reading: the links of kind "tun", parsed by their row (kind_tun.c)
** ===================================================================
*/

int tun_list (struct nl *nl, struct tun_info **out, size_t *count,
              struct err *e) {
  struct link_info *links;
  size_t n, kept = 0;
  const struct link_kind *tun = link_kind_of("tun");
  if (link_list(nl, &links, &n, e) < 0) return -1;
  *out = calloc(n ? n : 1, sizeof **out);
  if (!*out) {
    free(links);
    return err_set(e, ENOMEM, NULL);
  }
  for (size_t i = 0; i < n; i++) {
    if (links[i].row != tun) continue;
    struct tun_info *t = &(*out)[kept++];
    t->ifindex = links[i].ifindex;
    memcpy(t->ifname, links[i].ifname, sizeof t->ifname);
    memcpy(&t->o, links[i].data, sizeof t->o);
  }
  free(links);
  *count = kept;
  return 0;
}

/* }================================================================== */
