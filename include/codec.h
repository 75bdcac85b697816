/* Bytes <-> records.  Input messages are Avro in the Confluent wire format
 * (byte 0 = 0x00, bytes 1-4 = big-endian schema id, then Avro binary) or one
 * JSON object, detected per message.  Confluent framing lives here and only
 * here.
 *
 * A codec_t caches one parsed schema, avro_value_iface and reusable value
 * per schema id, so decoding allocates nothing per message.  It is not
 * thread-safe: one per thread. */
#ifndef IMPACTD_CODEC_H
#define IMPACTD_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "event.h"
#include "output.h"

typedef struct codec codec_t;

/* A growable byte buffer owned by the caller; reuse it across calls. */
typedef struct buf {
        char *data;
        size_t len;
        size_t cap;
} buf_t;

void buf_reset(buf_t *b);        /* len = 0, keeps storage */
void buf_free(buf_t *b);         /* frees storage */
int buf_append(buf_t *b, const void *p, size_t n); /* 0 or -1 (ENOMEM) */
/* Room for `extra` more bytes past len; 0 or -1 (ENOMEM). */
int buf_reserve(buf_t *b, size_t extra);

/* Loads every schema of conf->schemas.  The codec keeps a pointer to `conf`,
 * which must outlive it.  NULL + errstr naming the schema file on failure. */
codec_t *codec_new(const config_t *conf, char *errstr, size_t errstr_size);
void codec_destroy(codec_t *codec);

/* Decodes one input message of `kind` into `ev` (reset first) and validates
 * it (event_validate).  Returns IMPACTD_OK, IMPACTD_ERR_DECODE (bytes are not
 * a message) or IMPACTD_ERR_INVALID (violates the contract); errstr then holds
 * the precise reason that goes into the DLQ header, e.g.
 *   "empty message", "message of 2000000 bytes exceeds limits.max_message_bytes",
 *   "unknown Avro schema id 42", "truncated Avro record",
 *   "Avro record impactd.Ticket on the alerts topic", "invalid JSON: ... at 1:17",
 *   "JSON is not an object", "field 'affected_users': expected an integer",
 *   "missing required field 'event_id'", "unknown status 'BURNING'". */
impactd_err_t codec_decode_event(codec_t *codec, event_kind_t kind,
                                 const void *data, size_t len, event_t *ev,
                                 char *errstr, size_t errstr_size);

/* Encodes an output record into `out` (reset first) in `fmt`: Avro with
 * Confluent framing and conf->schemas.writer_id[topic], or one JSON object
 * (no trailing newline). */
impactd_err_t codec_encode_scored(codec_t *codec, wire_format_t fmt,
                                  const scored_t *s, buf_t *out,
                                  char *errstr, size_t errstr_size);
impactd_err_t codec_encode_escalation(codec_t *codec, wire_format_t fmt,
                                      const escalation_t *e, buf_t *out,
                                      char *errstr, size_t errstr_size);
impactd_err_t codec_encode_notification(codec_t *codec, wire_format_t fmt,
                                        const notification_t *n, buf_t *out,
                                        char *errstr, size_t errstr_size);

/* For the `produce` and `tail` tools: generic conversion driven by the
 * schema.  json_to_avro writes the Confluent framing with `schema_id`;
 * to_json accepts either encoding (JSON passes through, re-serialised
 * compactly) and writes one JSON object with the Avro record's fields,
 * enums as strings, nulls for absent optionals. */
impactd_err_t codec_json_to_avro(codec_t *codec, int32_t schema_id,
                                 const char *json, size_t len, buf_t *out,
                                 char *errstr, size_t errstr_size);
impactd_err_t codec_to_json(codec_t *codec, const void *data, size_t len,
                            buf_t *out, char *errstr, size_t errstr_size);

#endif
