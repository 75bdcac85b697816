/* notifications.* of the configuration (config/impactd.yaml documents the
 * keys, docs/notifications.md the semantics): which audiences are
 * notified, the issue type of titles, the customer-facing default service
 * name, and the templates per audience and kind, merged into the built-in
 * ones pair by pair.  Templates are compiled here, at load, so a bad
 * placeholder stops the load with its file, line and key, and the worker
 * only renders.  See config_internal.h for the table machinery. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config_internal.h"

const char *const cfg_audience_keys[AUDIENCE_COUNT] = {
        [AUDIENCE_EXECUTIVE] = "executive",
        [AUDIENCE_ENGINEERING] = "engineering",
        [AUDIENCE_CUSTOMER] = "customer",
        [AUDIENCE_ACCOUNT_MANAGER] = "account_manager",
        [AUDIENCE_CUSTOMER_LIAISON] = "customer_liaison",
        [AUDIENCE_COMPLIANCE] = "compliance",
};

const char *const cfg_kind_keys[NOTIFY_KIND_COUNT] = {
        [NOTIFY_OPENED] = "opened",
        [NOTIFY_IMPACT_CHANGED] = "impact_changed",
        [NOTIFY_SLA_AT_RISK] = "sla_at_risk",
        [NOTIFY_RESOLVED] = "resolved",
        [NOTIFY_FOLLOW_UP] = "follow_up",
};

/* Names are matched without case: the contract spells them in capitals
 * (EXECUTIVE, OPENED), YAML keys are usually lower case. */
static int find(const char *const *names, size_t n, const char *s) {
        for (size_t i = 0; i < n; i++)
                if (!strcasecmp(s, names[i]))
                        return (int)i;
        return -1;
}

/* ---- templates ---- */

static int compile(ctx_t *c, audience_t a, const char *src, int line,
                   const char *key, template_t **out) {
        char err[300];
        template_t *t;

        if (!*src)
                return cfg_fail(c, line, key, "must not be empty");
        if (!(t = template_new(src, notify_field_names, NF_COUNT, err,
                               sizeof(err))))
                return cfg_fail(c, line, key, "%s", err);
        /* A status page must not leak internal names (DESIGN.md). */
        for (int f = 0; a == AUDIENCE_CUSTOMER && f < NF_COUNT; f++) {
                if (notify_field_customer_safe((notify_field_t)f) ||
                    !template_uses(t, (size_t)f))
                        continue;
                template_destroy(t);
                return cfg_fail(c, line, key,
                                "{{%s}} is internal: not for the CUSTOMER "
                                "audience (use {{service_display}})",
                                notify_field_names[f]);
        }
        template_destroy(*out);
        *out = t;
        return 0;
}

static void clear_pair(notify_template_t *p) {
        template_destroy(p->title);
        template_destroy(p->body);
        p->title = p->body = NULL;
}

/* {title: ..., body: ...}; either may be left out when the pair has a
 * template already; a pair new to the defaults gets the default title. */
static int parse_pair(ctx_t *c, audience_t a, notify_template_t *p,
                      yaml_node_t *v, const char *key) {
        int n = cfg_children(c, v, YAML_MAPPING_NODE, key);
        char sub[KEY_MAX];
        yaml_node_t *k, *val;

        for (int i = 0; i < n; i++) {
                bool title;
                char *s;
                int rc;

                cfg_pair_at(c, v, (size_t)i, &k, &val);
                title = !strcmp(sval(k), "title");
                if (!title && strcmp(sval(k), "body"))
                        return cfg_fail(c, line_of(k), key,
                                        "unknown key '%s' (expected title or "
                                        "body)",
                                        sval(k));
                snprintf(sub, sizeof(sub), "%.400s.%.8s", key, sval(k));
                if (!(s = cfg_scalar(c, val, sub)))
                        return -1;
                rc = compile(c, a, s, line_of(val), sub,
                             title ? &p->title : &p->body);
                free(s);
                if (rc)
                        return -1;
        }
        if (n < 0)
                return -1;
        if (!p->body)
                return cfg_fail(c, line_of(v), key,
                                "no built-in template for this pair: give "
                                "a body");
        if (!p->title)
                return compile(c, a, notify_default_title(a), line_of(v), key,
                               &p->title);
        return 0;
}

/* audience -> kind -> {title, body} | null (not sent). */
static int parse_templates(ctx_t *c, void *base, yaml_node_t *v,
                           const char *key) {
        notify_config_t *nc = base;
        int n = cfg_children(c, v, YAML_MAPPING_NODE, key);
        char sub[KEY_MAX], pair[KEY_MAX];
        yaml_node_t *k, *kinds, *kk, *val;

        for (int i = 0; i < n; i++) {
                int a, m, kind;

                cfg_pair_at(c, v, (size_t)i, &k, &kinds);
                if ((a = find(cfg_audience_keys, AUDIENCE_COUNT, sval(k))) < 0)
                        return cfg_fail(c, line_of(k), key,
                                        "unknown audience '%s' (expected "
                                        "executive, engineering, customer, "
                                        "account_manager, customer_liaison "
                                        "or compliance)",
                                        sval(k));
                snprintf(sub, sizeof(sub), "%.400s.%.20s", key,
                         cfg_audience_keys[a]);
                if ((m = cfg_children(c, kinds, YAML_MAPPING_NODE, sub)) < 0)
                        return -1;
                for (int j = 0; j < m; j++) {
                        cfg_pair_at(c, kinds, (size_t)j, &kk, &val);
                        if ((kind = find(cfg_kind_keys, NOTIFY_KIND_COUNT,
                                         sval(kk))) < 0)
                                return cfg_fail(c, line_of(kk), sub,
                                                "unknown kind '%s' (expected "
                                                "opened, impact_changed, "
                                                "sla_at_risk, resolved or "
                                                "follow_up)",
                                                sval(kk));
                        snprintf(pair, sizeof(pair), "%.440s.%.20s", sub,
                                 cfg_kind_keys[kind]);
                        if (cfg_is_null(val))
                                clear_pair(&nc->templates[a][kind]);
                        else if (parse_pair(c, (audience_t)a,
                                            &nc->templates[a][kind], val, pair))
                                return -1;
                }
        }
        return n < 0 ? -1 : 0;
}

/* The audiences listed are the ones notified; [] turns them all off. */
static int parse_audiences(ctx_t *c, void *base, yaml_node_t *v,
                           const char *key) {
        notify_config_t *nc = base;
        int n = cfg_children(c, v, YAML_SEQUENCE_NODE, key), a;

        if (n < 0)
                return -1;
        memset(nc->audiences, 0, sizeof(nc->audiences));
        for (int i = 0; i < n; i++) {
                yaml_node_t *item = cfg_item_at(c, v, (size_t)i);
                char *s = cfg_scalar(c, item, key);

                if (!s)
                        return -1;
                a = find(cfg_audience_keys, AUDIENCE_COUNT, s);
                if (a < 0) {
                        cfg_fail(c, line_of(item), key,
                                 "unknown audience '%s' (expected EXECUTIVE, "
                                 "ENGINEERING, CUSTOMER, ACCOUNT_MANAGER, "
                                 "CUSTOMER_LIAISON or COMPLIANCE)",
                                 s);
                        free(s);
                        return -1;
                }
                free(s);
                nc->audiences[a] = true;
        }
        return 0;
}

#define NVAL(nm, field, dflt)                                                  \
        {                                                                      \
                nm, T_STRING, offsetof(notify_config_t, field), 0, dflt,       \
                        R_NONEMPTY, NULL, false, NULL, NULL                    \
        }

const cfg_entry_t cfg_notify_keys[] = {
        {"audiences", T_SPECIAL, 0, 0, NULL, R_ANY, NULL, false,
         parse_audiences, cfg_print_audiences},
        NVAL("issue_types.outage", issue_types[DISRUPTION_OUTAGE], "Outage"),
        NVAL("issue_types.degraded", issue_types[DISRUPTION_DEGRADED],
             "Degraded performance"),
        NVAL("issue_types.latency", issue_types[DISRUPTION_LATENCY],
             "Elevated latency"),
        NVAL("issue_types.unknown", issue_types[DISRUPTION_COUNT],
             "Service disruption"),
        NVAL("default_display_name", default_display_name, "our service"),
        {"templates", T_SPECIAL, 0, 0, NULL, R_ANY, NULL, false,
         parse_templates, cfg_print_templates},
};
const size_t cfg_notify_keys_cnt = ARRAY_SIZE(cfg_notify_keys);

static int apply_defaults(ctx_t *c, notify_config_t *nc) {
        for (size_t i = 0; i < cfg_notify_keys_cnt; i++) {
                const cfg_entry_t *e = &cfg_notify_keys[i];

                if (e->def && cfg_set_value(c, e, nc, e->def, e->name, 0))
                        return -1;
        }
        for (int a = 0; a < AUDIENCE_COUNT; a++) {
                nc->audiences[a] = true;
                for (int k = 0; k < NOTIFY_KIND_COUNT; k++) {
                        const char *body =
                                notify_default_body((audience_t)a, k);
                        notify_template_t *p = &nc->templates[a][k];

                        if (body &&
                            (compile(c, a, notify_default_title(a), 0,
                                     "notifications.templates", &p->title) ||
                             compile(c, a, body, 0, "notifications.templates",
                                     &p->body)))
                                return -1;
                }
        }
        nc->loaded = true;
        return 0;
}

/* Called first with the default "{}" (apply_defaults of config.c), then
 * with the file's section when it has one. */
int cfg_parse_notify(ctx_t *c, void *base, yaml_node_t *v, const char *key) {
        notify_config_t *nc = &((config_t *)base)->notify;

        if (!nc->loaded && apply_defaults(c, nc))
                return -1;
        return cfg_parse_table(c, cfg_notify_keys, cfg_notify_keys_cnt, nc,
                               strlen(key) + 1, v, key);
}

void cfg_free_notify(config_t *conf) {
        notify_config_t *nc = &conf->notify;

        for (int a = 0; a < AUDIENCE_COUNT; a++)
                for (int k = 0; k < NOTIFY_KIND_COUNT; k++)
                        clear_pair(&nc->templates[a][k]);
        cfg_free_table(cfg_notify_keys, cfg_notify_keys_cnt, nc);
}
