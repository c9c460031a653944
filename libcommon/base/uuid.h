/* uuid.h - SHA-1 and name-based UUIDs (RFC 4122 version 5), for the Qdrant
 * driver, which must turn arbitrary string ids into the UUIDs Qdrant
 * accepts, the same way every time and on every machine.  SHA-1 is here
 * because none of the libraries we link exposes one; it is not used for
 * anything that needs collision resistance against an adversary. */
#ifndef SLUICE_UUID_H
#define SLUICE_UUID_H

#include <stddef.h>
#include <stdint.h>

void sha1(const void *data, size_t len, uint8_t out[20]);

/* RFC 4122's namespace for URLs, 6ba7b811-9dad-11d1-80b4-00c04fd430c8. */
extern const uint8_t uuid_ns_url[16];

/* The version 5 UUID of name (len bytes) in namespace ns, as 36 lower-case
 * hyphenated characters and a NUL. */
void uuid_v5(const uint8_t ns[16], const void *name, size_t len, char out[37]);

/* 1 if s (n bytes) is a UUID in the canonical form: 8-4-4-4-12 lower-case
 * hex digits. */
int uuid_is_canonical(const char *s, size_t n);

#endif
