/* Writing identifiers into Redis keys and output ids (include/ident.h). */
#include "ident.h"

static bool plain(unsigned char ch, ident_form_t form) {
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
            (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-')
                return true;
        return ch == ':' && form == IDENT_KEY;
}

size_t ident_encoded_len(const char *id, ident_form_t form) {
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *)id; *p; p++)
                n += plain(*p, form) ? 1 : 3;
        return n;
}

size_t ident_encode(const char *id, ident_form_t form, char *out) {
        static const char hex[] = "0123456789ABCDEF";
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
                if (plain(*p, form)) {
                        out[n++] = (char)*p;
                        continue;
                }
                out[n++] = '%';
                out[n++] = hex[*p >> 4];
                out[n++] = hex[*p & 15];
        }
        out[n] = '\0';
        return n;
}

static int hexval(char ch) {
        if (ch >= '0' && ch <= '9')
                return ch - '0';
        if (ch >= 'A' && ch <= 'F')
                return ch - 'A' + 10;
        return -1; /* lower case is never written */
}

long ident_decode(const char *in, size_t len, ident_form_t form, char *out) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)in[i];
                if (ch == '%') {
                        int hi = i + 2 < len ? hexval(in[i + 1]) : -1;
                        int lo = i + 2 < len ? hexval(in[i + 2]) : -1;
                        if (hi < 0 || lo < 0)
                                return -1;
                        ch = (unsigned char)(hi * 16 + lo);
                        /* One encoding per id: a byte left plain is
                         * never encoded, and NUL is never an id's. */
                        if (ch == 0 || plain(ch, form))
                                return -1;
                        i += 2;
                } else if (!plain(ch, form)) {
                        return -1;
                }
                out[n++] = (char)ch;
        }
        out[n] = '\0';
        return (long)n;
}

/* CRC16-CCITT (XMODEM): polynomial 0x1021, initial 0, as Redis Cluster
 * specifies.  Bitwise: keys are hashed only by tests and tools here. */
static uint16_t crc16(const char *buf, size_t len) {
        uint16_t crc = 0;
        for (size_t i = 0; i < len; i++) {
                crc ^= (uint16_t)((unsigned char)buf[i] << 8);
                for (int b = 0; b < 8; b++)
                        crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021)
                                             : (uint16_t)(crc << 1);
        }
        return crc;
}

unsigned ident_key_slot(const char *key, size_t len) {
        size_t s, e;
        for (s = 0; s < len && key[s] != '{'; s++)
                ;
        if (s < len) {
                for (e = s + 1; e < len && key[e] != '}'; e++)
                        ;
                /* An empty tag ("{}") hashes the whole key. */
                if (e < len && e != s + 1)
                        return crc16(key + s + 1, e - s - 1) & 16383;
        }
        return crc16(key, len) & 16383;
}
