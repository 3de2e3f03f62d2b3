/*
 * rtnames.h - the words iproute2 uses for rtnetlink numbers (scopes, route
 * types, protocols, tables), both ways. Unknown numbers print as numbers.
 */
#ifndef NSLAB_RTNAMES_H
#define NSLAB_RTNAMES_H

#include <stddef.h>

struct rtname {
  unsigned value;
  const char *name;
};

extern const struct rtname rtnames_scope[], rtnames_type[], rtnames_protocol[],
    rtnames_table[];

/* The name of value, or its decimal text in buf. */
const char *rtname_of (const struct rtname *names, unsigned value, char *buf,
                       size_t len);
/* The value of a name or of a decimal number; -1 when neither. */
long rtname_value (const struct rtname *names, const char *text);

#endif
