/* Identifiers from the input (incident keys, services, tickets, accounts)
 * where their bytes cannot go as they are.
 *
 * An identifier may hold any byte but NUL, up to limits.max_string_bytes.
 * Outputs carry it as it came.  Two places need it written another way,
 * and there it is percent-encoded, which no two identifiers share:
 *   - inside a Redis hash tag (`impact:{<id>}:seen`): every byte outside
 *     [A-Za-z0-9._:-] becomes %XX, so no '{' or '}' of the id can end the
 *     tag early and every key of one call falls in one cluster slot.  An
 *     id made only of those characters is written as it is, as before;
 *   - as a part of an output id after its first (an account in a
 *     notification id): ':' is encoded too, so the parts split back
 *     apart and no id of one incident equals one of another.
 * Upper-case hex, so that each id has exactly one encoding. */
#ifndef IMPACTD_IDENT_H
#define IMPACTD_IDENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum {
        IDENT_KEY = 0, /* inside a hash tag */
        IDENT_PART,    /* a part of an output id */
} ident_form_t;

/* Bytes the encoding of `id` (strlen(id) bytes) takes, without a NUL. */
size_t ident_encoded_len(const char *id, ident_form_t form);
/* Writes the encoding to `out`, which has room for ident_encoded_len()
 * bytes and a NUL; returns that length. */
size_t ident_encode(const char *id, ident_form_t form, char *out);
/* Decodes `len` bytes of an encoding into `out` (room for len + 1);
 * returns the length, or -1 when `in` is not an encoding of `form`. */
long ident_decode(const char *in, size_t len, ident_form_t form, char *out);

/* The Redis Cluster slot of a key: CRC16 (XMODEM) of its hash tag, the
 * bytes between the first '{' and the next '}' when there are any, else
 * of the whole key; modulo 16384. */
unsigned ident_key_slot(const char *key, size_t len);

#endif
