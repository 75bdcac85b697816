/* Text templates with {{field}} placeholders, compiled once (at config
 * load) against a fixed list of field names and rendered many times from
 * values the caller supplies.
 *
 * Syntax, kept small on purpose:
 *   {{name}}    the value of field `name`; spaces inside the braces are
 *               ignored ({{ name }}); a name is [A-Za-z0-9_]+
 *   {{{{        a literal "{{" (the only escape; "}}" and single braces
 *               outside a placeholder are literal as they are)
 * Compile errors name the problem and where it starts (line and column,
 * 1-based, counted in bytes): an unknown or invalid placeholder, or a "{{"
 * without its "}}".
 *
 * Rendering allocates nothing: values are an array indexed like the field
 * list, a NULL value renders as nothing, and the output goes to a caller
 * buffer (snprintf-like, truncated on a UTF-8 character boundary) or is
 * appended to a growable buf_t (codec.h). */
#ifndef IMPACTD_TEMPLATE_H
#define IMPACTD_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct template template_t;
struct buf; /* buf_t of codec.h, not included: config.h includes this */

/* Compiles `src` against fields[0..nfields) (names must outlive nothing:
 * indexes are kept, not the names).  NULL + errstr on failure, e.g.
 *   "unknown placeholder {{users}} at line 1, column 7"
 *   "unterminated {{ at line 2, column 1"
 * The caller owns the result: template_destroy(). */
template_t *template_new(const char *src, const char *const *fields,
                         size_t nfields, char *errstr, size_t errstr_size);
void template_destroy(template_t *t); /* NULL is fine */

/* The text it was compiled from. */
const char *template_source(const template_t *t);

/* Whether the template uses field `field` (an index into the field list). */
bool template_uses(const template_t *t, size_t field);

/* Renders into buf[0..size), always NUL-terminated when size > 0.  Returns
 * the length the whole output has (as snprintf): a result >= size means it
 * was cut, never inside a UTF-8 character.  `values` holds one string (or
 * NULL) per field of the list the template was compiled against. */
size_t template_render(const template_t *t, const char *const *values,
                       char *buf, size_t size);

/* Appends the output to `out` (not NUL-terminated; out->len grows by the
 * output's length).  0, or -1 when out of memory. */
int template_render_buf(const template_t *t, const char *const *values,
                        struct buf *out);

#endif
