/* The `policy:` section (escalation policy, include/policy.h) and the
 * `silences:` list of the YAML configuration, parsed and printed; see
 * config_internal.h for how tables drive both.  Defaults come from
 * policy_config_defaults(), so the pure module and the file agree. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

/* ---- policy: roles per trigger ---- */

/* The roles a dotted key ("policy.targets.level.3",
 * "...targets.sentiment_surge") or its leaf ("3", "sentiment_surge")
 * names: leaves are unique across levels and triggers. */
static policy_roles_t *roles_of(policy_config_t *pc, const char *key) {
        const char *leaf = strrchr(key, '.') ? strrchr(key, '.') + 1 : key;
        trigger_kind_t t;

        if (leaf[0] >= '1' && leaf[0] <= '0' + POLICY_LEVELS && !leaf[1])
                return &pc->level[leaf[0] - '0'];
        if (trigger_kind_parse(leaf, &t) || t == TRIGGER_LEVEL)
                return NULL;
        return &pc->targets[t];
}

/* A list replaces the default.  Levels may page nobody ([]); every other
 * trigger needs a role, or its page would go nowhere unnoticed. */
static int parse_roles(ctx_t *c, void *base, yaml_node_t *v, const char *key) {
        policy_roles_t *r = roles_of(base, key), roles = {0};
        int n = cfg_children(c, v, YAML_SEQUENCE_NODE, key);

        if (n < 0 || !r)
                return n < 0 ? -1 : cfg_fail(c, line_of(v), key, "unknown");
        if (n == 0 && !strstr(key, ".level."))
                return cfg_fail(c, line_of(v), key,
                                "must list at least one role");
        if (n > POLICY_MAX_ROLES)
                return cfg_fail(c, line_of(v), key, "at most %d roles, got %d",
                                POLICY_MAX_ROLES, n);
        for (int i = 0; i < n; i++) {
                yaml_node_t *item = cfg_item_at(c, v, (size_t)i);
                char *s = cfg_scalar(c, item, key);
                int rc = 0;

                if (!s)
                        return -1;
                if (!policy_role_valid(s))
                        rc = cfg_fail(c, line_of(item), key,
                                      "role '%.100s': expected 1 to %d "
                                      "letters, digits, '_', '.' or '-'",
                                      s, POLICY_ROLE_MAX - 1);
                for (size_t j = 0; j < roles.cnt && !rc; j++)
                        if (!strcmp(roles.role[j], s))
                                rc = cfg_fail(c, line_of(item), key,
                                              "duplicate role '%s'", s);
                if (!rc)
                        strcpy(roles.role[roles.cnt++], s);
                free(s);
                if (rc)
                        return rc;
        }
        *r = roles;
        return 0;
}

static void print_roles(const void *base, FILE *fp, int indent,
                        const char *leaf) {
        const policy_roles_t *r = roles_of((policy_config_t *)base, leaf);

        fprintf(fp, "%*s%s: [", indent, "", leaf);
        for (size_t i = 0; r && i < r->cnt; i++)
                fprintf(fp, "%s\"%s\"", i ? ", " : "", r->role[i]);
        fputs("]\n", fp);
}

#define PVAL(nm, ty, field, rng)                                               \
        {                                                                      \
                nm, ty, offsetof(policy_config_t, field), 0, NULL, rng, NULL,  \
                        false, NULL, NULL                                      \
        }
#define ROLES(nm)                                                              \
        {                                                                      \
                "targets." nm, T_SPECIAL, 0, 0, NULL, R_ANY, NULL, false,      \
                        parse_roles, print_roles                               \
        }

static const cfg_entry_t policy_keys[] = {
        PVAL("group_wait_s", T_MS_FROM_S, group_wait_ms, R_NONNEG),
        PVAL("repeat_interval_s", T_MS_FROM_S, repeat_interval_ms, R_NONNEG),
        PVAL("regulator_deadline_h", T_INT64, regulator_deadline_h, R_POS),
        ROLES("level.1"),
        ROLES("level.2"),
        ROLES("level.3"),
        ROLES("level.4"),
        ROLES("level.5"),
        ROLES("sentiment_surge"),
        ROLES("key_account"),
        ROLES("sla_at_risk"),
        ROLES("sla_breached"),
        ROLES("triage_timeout"),
        ROLES("severity_mismatch"),
        ROLES("personal_data"),
};

int cfg_parse_policy(ctx_t *c, void *base, yaml_node_t *v, const char *key) {
        return cfg_parse_table(c, policy_keys, ARRAY_SIZE(policy_keys),
                               &((config_t *)base)->policy, strlen(key) + 1, v,
                               key);
}

void cfg_print_policy(const void *base, FILE *fp, int indent,
                      const char *leaf) {
        fprintf(fp, "%*s%s:\n", indent, "", leaf);
        cfg_print_table(fp, policy_keys, ARRAY_SIZE(policy_keys),
                        &((const config_t *)base)->policy, indent + 2);
}

/* ---- silences ---- */

/* A text field into its fixed-size buffer. */
static int set_text(ctx_t *c, yaml_node_t *v, const char *key, char *dst,
                    size_t size) {
        char *s = cfg_scalar(c, v, key);
        int rc = 0;

        if (!s)
                return -1;
        if (strlen(s) >= size)
                rc = cfg_fail(c, line_of(v), key,
                              "too long (at most %zu bytes)", size - 1);
        else
                strcpy(dst, s);
        free(s);
        return rc;
}

static int set_time(ctx_t *c, yaml_node_t *v, const char *key, int64_t *ms) {
        char *s = cfg_scalar(c, v, key);
        int rc = 0;

        if (!s)
                return -1;
        if (silence_time_parse(s, ms))
                rc = cfg_fail(c, line_of(v), key,
                              "expected an RFC 3339 UTC time such as "
                              "2026-11-22T10:00:00Z, or epoch ms, got '%s'",
                              s);
        free(s);
        return rc;
}

static int set_label(ctx_t *c, yaml_node_t *v, const char *key, silence_t *s) {
        char label[2 * SILENCE_LABEL_MAX], *eq;

        if (set_text(c, v, key, label, sizeof(label)))
                return -1;
        eq = strchr(label, '=');
        if (!eq || eq == label || !eq[1] ||
            (size_t)(eq - label) >= sizeof(s->label_key) ||
            strlen(eq + 1) >= sizeof(s->label_value))
                return cfg_fail(c, line_of(v), key,
                                "expected key=value, got '%s'", label);
        *eq = '\0';
        strcpy(s->label_key, label);
        strcpy(s->label_value, eq + 1);
        return 0;
}

/* One "name: value" of a silence. */
static int silence_field(ctx_t *c, yaml_node_t *k, yaml_node_t *v,
                         const char *key, silence_t *s, unsigned *have) {
        static const char *const names[] = {"id",        "service", "label",
                                            "starts_at", "ends_at", "comment",
                                            "created_by"};
        size_t i = 0;

        while (i < ARRAY_SIZE(names) && strcmp(sval(k), names[i]))
                i++;
        *have |= 1u << i;
        switch (i) {
        case 0: return set_text(c, v, key, s->id, sizeof(s->id));
        case 1: return set_text(c, v, key, s->service, sizeof(s->service));
        case 2: return set_label(c, v, key, s);
        case 3: return set_time(c, v, key, &s->starts_at);
        case 4: return set_time(c, v, key, &s->ends_at);
        case 5: return set_text(c, v, key, s->comment, sizeof(s->comment));
        case 6:
                return set_text(c, v, key, s->created_by,
                                sizeof(s->created_by));
        default: return -2;
        }
}

static int parse_silence(ctx_t *c, yaml_node_t *map, size_t idx, silence_t *s) {
        char key[32], sub[KEY_MAX];
        unsigned have = 0;
        yaml_node_t *k, *v, *ends = map;
        int n;

        snprintf(key, sizeof(key), "silences[%zu]", idx);
        if ((n = cfg_children(c, map, YAML_MAPPING_NODE, key)) < 0)
                return -1;
        snprintf(s->id, sizeof(s->id), "config-%zu", idx + 1);
        strcpy(s->created_by, "config");
        for (int i = 0; i < n; i++) {
                cfg_pair_at(c, map, (size_t)i, &k, &v);
                snprintf(sub, sizeof(sub), "%s.%.200s", key, sval(k));
                if (!strcmp(sval(k), "ends_at"))
                        ends = v;
                int rc = silence_field(c, k, v, sub, s, &have);
                if (rc == -2)
                        return cfg_fail(c, line_of(k), key, "unknown key '%s'",
                                        sval(k));
                if (rc)
                        return -1;
        }
        if ((have & 0x1a) != 0x1a) /* service, starts_at, ends_at */
                return cfg_fail(c, line_of(map), key,
                                "service, starts_at and ends_at are required");
        if (!s->service[0] || !s->id[0])
                return cfg_fail(c, line_of(map), key,
                                "service and id must not be empty");
        snprintf(sub, sizeof(sub), "%s.ends_at", key);
        if (s->ends_at <= s->starts_at)
                return cfg_fail(c, line_of(ends), sub,
                                "must be after starts_at");
        return 0;
}

int cfg_parse_silences(ctx_t *c, void *base, yaml_node_t *v, const char *key) {
        config_t *conf = base;
        int n = cfg_children(c, v, YAML_SEQUENCE_NODE, key);

        if (n <= 0)
                return n;
        if (!(conf->silences = calloc((size_t)n, sizeof(silence_t))))
                return cfg_oom(c);
        for (; conf->silences_cnt < (size_t)n; conf->silences_cnt++) {
                size_t i = conf->silences_cnt;
                yaml_node_t *item = cfg_item_at(c, v, i);

                if (parse_silence(c, item, i, &conf->silences[i]))
                        return -1;
                for (size_t j = 0; j < i; j++)
                        if (!strcmp(conf->silences[j].id, conf->silences[i].id))
                                return cfg_fail(c, line_of(item), key,
                                                "duplicate silence id '%s'",
                                                conf->silences[i].id);
        }
        return 0;
}

void cfg_print_silences(const void *base, FILE *fp, int indent,
                        const char *leaf) {
        const config_t *conf = base;
        char starts[40], ends[40], label[2 * SILENCE_LABEL_MAX];

        fprintf(fp, "%*s%s:%s\n", indent, "", leaf,
                conf->silences_cnt ? "" : " []");
        for (size_t i = 0; i < conf->silences_cnt; i++) {
                const silence_t *s = &conf->silences[i];
                const char *f[][2] = {
                        {"id", s->id},
                        {"service", s->service},
                        {"label", s->label_key[0] ? label : NULL},
                        {"starts_at", silence_time_format(s->starts_at, starts,
                                                          sizeof(starts))},
                        {"ends_at",
                         silence_time_format(s->ends_at, ends, sizeof(ends))},
                        {"comment", s->comment},
                        {"created_by", s->created_by},
                };

                snprintf(label, sizeof(label), "%s=%s", s->label_key,
                         s->label_value);
                for (size_t j = 0; j < ARRAY_SIZE(f); j++) {
                        if (!f[j][1])
                                continue; /* no label: the key is left out */
                        fprintf(fp, "%*s%s%s: ", indent + 2, "",
                                j ? "  " : "- ", f[j][0]);
                        cfg_print_str(fp, f[j][1]);
                        fputc('\n', fp);
                }
        }
}
