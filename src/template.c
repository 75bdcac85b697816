/* {{field}} templates (include/template.h).  A template compiles to its
 * literal text, with escapes already resolved, and a list of pieces:
 * "this much literal text, then this field".  Rendering copies pieces and
 * values; it neither parses nor allocates. */
#include "template.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

typedef struct piece {
        size_t lit_len; /* literal text before the field, from the cursor */
        size_t field;   /* SIZE_MAX: none (the trailing text) */
} piece_t;

struct template {
        char *src;
        char *text; /* all literal text, back to back */
        piece_t *pieces;
        size_t n;
};

/* Line and column (1-based, bytes) of src[off]. */
static void position(const char *src, size_t off, int *line, int *col) {
        *line = 1;
        *col = 1;
        for (size_t i = 0; i < off; i++) {
                if (src[i] == '\n') {
                        (*line)++;
                        *col = 1;
                } else {
                        (*col)++;
                }
        }
}

static int fail_at(const char *src, size_t off, char *errstr,
                   size_t errstr_size, const char *what, size_t len,
                   const char *name) {
        int line, col;

        position(src, off, &line, &col);
        if (name)
                snprintf(errstr, errstr_size,
                         "%s {{%.*s}} at line %d, column %d", what, (int)len,
                         name, line, col);
        else
                snprintf(errstr, errstr_size, "%s at line %d, column %d", what,
                         line, col);
        return -1;
}

/* Resolves the placeholder whose "{{" is at src[open]; *field gets its
 * index, *end the offset just past its "}}". */
static int placeholder(const char *src, size_t open, const char *const *fields,
                       size_t nfields, size_t *field, size_t *end, char *errstr,
                       size_t errstr_size) {
        const char *close = strstr(src + open + 2, "}}");
        const char *name = src + open + 2, *stop;
        size_t len;

        if (!close)
                return fail_at(src, open, errstr, errstr_size,
                               "unterminated {{", 0, NULL);
        stop = close;
        while (name < stop && *name == ' ')
                name++;
        while (stop > name && stop[-1] == ' ')
                stop--;
        len = (size_t)(stop - name);
        for (size_t i = 0; i < len; i++)
                if (!isalnum((unsigned char)name[i]) && name[i] != '_')
                        return fail_at(src, open, errstr, errstr_size,
                                       "invalid placeholder", len, name);
        for (size_t f = 0; f < nfields && len; f++) {
                if (strlen(fields[f]) == len && !memcmp(fields[f], name, len)) {
                        *field = f;
                        *end = (size_t)(close + 2 - src);
                        return 0;
                }
        }
        return fail_at(src, open, errstr, errstr_size,
                       len ? "unknown placeholder" : "empty placeholder", len,
                       name);
}

static int add_piece(template_t *t, size_t *cap, size_t lit_len, size_t field) {
        if (t->n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 8;
                piece_t *p = realloc(t->pieces, ncap * sizeof(*p));

                if (!p)
                        return -1;
                t->pieces = p;
                *cap = ncap;
        }
        t->pieces[t->n++] = (piece_t){lit_len, field};
        return 0;
}

template_t *template_new(const char *src, const char *const *fields,
                         size_t nfields, char *errstr, size_t errstr_size) {
        template_t *t = calloc(1, sizeof(*t));
        size_t srclen = strlen(src), cap = 0, lit = 0, tlen = 0, i = 0;
        size_t field, end;

        if (!t || !(t->src = strdup(src)) || !(t->text = malloc(srclen + 1)))
                goto nomem;
        while (i < srclen) {
                if (strncmp(src + i, "{{", 2)) {
                        t->text[tlen++] = src[i++];
                        lit++;
                } else if (!strncmp(src + i, "{{{{", 4)) {
                        memcpy(t->text + tlen, "{{", 2);
                        tlen += 2;
                        lit += 2;
                        i += 4;
                } else {
                        if (placeholder(src, i, fields, nfields, &field, &end,
                                        errstr, errstr_size))
                                goto fail;
                        if (add_piece(t, &cap, lit, field))
                                goto nomem;
                        lit = 0;
                        i = end;
                }
        }
        t->text[tlen] = '\0';
        if (add_piece(t, &cap, lit, SIZE_MAX))
                goto nomem;
        return t;
nomem:
        snprintf(errstr, errstr_size, "out of memory");
fail:
        template_destroy(t);
        return NULL;
}

void template_destroy(template_t *t) {
        if (!t)
                return;
        free(t->src);
        free(t->text);
        free(t->pieces);
        free(t);
}

const char *template_source(const template_t *t) {
        return t->src;
}

bool template_uses(const template_t *t, size_t field) {
        for (size_t i = 0; i < t->n; i++)
                if (t->pieces[i].field == field)
                        return true;
        return false;
}

/* Copies what fits of s[0..n) to buf at *len, counting all of it. */
static void put(char *buf, size_t size, size_t *len, const char *s, size_t n) {
        if (*len + 1 < size) {
                size_t room = size - 1 - *len;

                memcpy(buf + *len, s, n < room ? n : room);
        }
        *len += n;
}

size_t template_render(const template_t *t, const char *const *values,
                       char *buf, size_t size) {
        const char *lit = t->text;
        size_t len = 0, cut;

        for (size_t i = 0; i < t->n; i++) {
                const piece_t *p = &t->pieces[i];

                put(buf, size, &len, lit, p->lit_len);
                lit += p->lit_len;
                if (p->field != SIZE_MAX && values[p->field])
                        put(buf, size, &len, values[p->field],
                            strlen(values[p->field]));
        }
        if (!size)
                return len;
        cut = len < size ? len : size - 1;
        if (cut < len) {
                /* Back off continuation bytes to the lead byte: a character
                 * cut in half is not valid UTF-8, so drop all of it. */
                size_t j = cut;

                while (j > 0 && ((unsigned char)buf[j - 1] & 0xc0) == 0x80)
                        j--;
                if (j > 0 && ((unsigned char)buf[j - 1] & 0x80)) {
                        unsigned char lead = (unsigned char)buf[j - 1];
                        size_t need = lead >= 0xf0   ? 4
                                      : lead >= 0xe0 ? 3
                                      : lead >= 0xc0 ? 2
                                                     : 1;

                        if (cut - (j - 1) < need)
                                cut = j - 1;
                }
        }
        buf[cut] = '\0';
        return len;
}

int template_render_buf(const template_t *t, const char *const *values,
                        struct buf *out) {
        const char *lit = t->text;

        for (size_t i = 0; i < t->n; i++) {
                const piece_t *p = &t->pieces[i];
                const char *v = p->field != SIZE_MAX ? values[p->field] : NULL;

                if (buf_append(out, lit, p->lit_len) ||
                    (v && buf_append(out, v, strlen(v))))
                        return -1;
                lit += p->lit_len;
        }
        return 0;
}
