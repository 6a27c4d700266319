/* Reading an xclbin's metadata (kernel XML, IP_LAYOUT, MEM_TOPOLOGY, CONNECTIVITY) with the
 * structs of <xrt/xclbin.h>, checking it against the kernel table, and the report for
 * `fnrt doctor --xclbin`. */
#ifdef FNRT_HAVE_XRT
#include "backend/xrt/xrt-internal.h"
#include "backend/xrt/xrt-sidecar.h"
#include "backend/xrt/xrt.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xclbin.h>

#include "core/sha256.h"

/* Value of attribute attr inside the tag [tag, end) into out; 0 if absent. */
static int xml_attr(const char *tag, const char *end, const char *attr, char *out, size_t n_out)
{
    size_t n_attr = strlen(attr);
    for (const char *p = tag; p + n_attr + 2 < end; p++) {
        if ((p[-1] == ' ' || p[-1] == '\t' || p[-1] == '\n') && strncmp(p, attr, n_attr) == 0 &&
            p[n_attr] == '=' && p[n_attr + 1] == '"') {
            const char *v = p + n_attr + 2, *q = memchr(v, '"', (size_t)(end - v));
            if (!q)
                return 0;
            size_t len = (size_t)(q - v);
            if (len >= n_out)
                len = n_out - 1;
            memcpy(out, v, len);
            out[len] = 0;
            return 1;
        }
    }
    return 0;
}

static int cmp_arg_id(const void *a, const void *b)
{
    return ((const fnrt_xclbin_arg *)a)->id - ((const fnrt_xclbin_arg *)b)->id;
}

static fnrt_status parse_xml(const char *path, const char *xml, size_t n, fnrt_xclbin *x)
{
    const char *end = xml + n, *p = xml;
    char val[64];
    while ((p = strstr(p, "<kernel ")) != NULL && p < end) {
        const char *kend = strstr(p, "</kernel>");
        const char *tag_end = strchr(p, '>');
        if (!kend || !tag_end)
            return fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: unterminated <kernel> in the "
                              "metadata", path);
        if (x->n_kernels == FNRT_XCLBIN_MAX_KERNELS)
            return fnrt_error(FNRT_ERR_LIMIT, "xclbin %s: more than %d kernels", path,
                              FNRT_XCLBIN_MAX_KERNELS);
        fnrt_xclbin_kernel *k = &x->kernels[x->n_kernels++];
        memset(k, 0, sizeof *k);
        if (!xml_attr(p, tag_end, "name", k->name, sizeof k->name))
            return fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: <kernel> without a name", path);
        for (const char *a = p; (a = strstr(a, "<arg ")) != NULL && a < kend; a++) {
            const char *a_end = strchr(a, '>');
            if (!a_end || a_end > kend)
                return fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: kernel %s: unterminated <arg>",
                                  path, k->name);
            if (k->n_args == FNRT_XCLBIN_MAX_ARGS)
                return fnrt_error(FNRT_ERR_LIMIT, "xclbin %s: kernel %s has more than %d "
                                  "arguments", path, k->name, FNRT_XCLBIN_MAX_ARGS);
            fnrt_xclbin_arg *g = &k->args[k->n_args++];
            memset(g, 0, sizeof *g);
            char *e1 = NULL, *e2 = NULL;
            if (!xml_attr(a, a_end, "name", g->name, sizeof g->name) ||
                !xml_attr(a, a_end, "addressQualifier", val, sizeof val) ||
                (g->address_qualifier = (int)strtol(val, &e1, 0), *e1) ||
                !xml_attr(a, a_end, "id", val, sizeof val) ||
                (g->id = (int)strtol(val, &e2, 0), *e2) || g->id < 0)
                return fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: kernel %s: <arg> %d lacks a "
                                  "valid name, addressQualifier or id", path, k->name,
                                  k->n_args - 1);
            xml_attr(a, a_end, "type", g->type, sizeof g->type);
        }
        qsort(k->args, (size_t)k->n_args, sizeof k->args[0], cmp_arg_id);
        p = kend;
    }
    return FNRT_OK;
}

static const void *section(const unsigned char *data, size_t n, uint32_t kind, size_t *n_sect)
{
    const struct axlf *top = (const struct axlf *)data;
    for (uint32_t s = 0; s < top->m_header.m_numSections; s++) {
        const struct axlf_section_header *h = &top->m_sections[s];
        if (h->m_sectionKind == kind && h->m_sectionOffset <= n &&
            h->m_sectionSize <= n - h->m_sectionOffset) {
            *n_sect = (size_t)h->m_sectionSize;
            return data + h->m_sectionOffset;
        }
    }
    return NULL;
}

fnrt_status fnrt_xclbin_read(const char *path, fnrt_xclbin *x)
{
    fnrt_status st = FNRT_OK;
    unsigned char *data = NULL;
    size_t n = 0, n_sect = 0;
    memset(x, 0, sizeof *x);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fnrt_error(FNRT_ERR_IO, "cannot open xclbin %s: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0 || (long)(n = (size_t)ftell(f)) < 0 ||
        fseek(f, 0, SEEK_SET) != 0) {
        st = fnrt_error(FNRT_ERR_IO, "cannot read xclbin %s", path);
        goto done;
    }
    if (n < sizeof(struct axlf) || n > ((size_t)1 << 31)) {
        st = fnrt_error(FNRT_ERR_FORMAT, "%s is not an xclbin (size %zu)", path, n);
        goto done;
    }
    data = malloc(n);
    if (!data) {
        st = fnrt_error(FNRT_ERR_NOMEM, "xclbin %s: out of memory (%zu bytes)", path, n);
        goto done;
    }
    if (fread(data, 1, n, f) != n) {
        st = fnrt_error(FNRT_ERR_IO, "cannot read xclbin %s", path);
        goto done;
    }
    const struct axlf *top = (const struct axlf *)data;
    if (memcmp(top->m_magic, "xclbin2", 8) != 0) {
        st = fnrt_error(FNRT_ERR_FORMAT, "%s is not an xclbin (no xclbin2 magic)", path);
        goto done;
    }
    memcpy(x->uuid, top->m_header.uuid, sizeof x->uuid);
    memcpy(x->vbnv, top->m_header.m_platformVBNV, 64);
    x->vbnv[64] = 0;
    fnrt_sha256_hex(data, n, x->sha256);
    uint32_t n_s = top->m_header.m_numSections;
    if (n_s == 0 || n_s > XCLBIN_MAX_NUM_SECTION ||
        (size_t)n_s > (n - sizeof(struct axlf)) / sizeof(struct axlf_section_header) + 1) {
        st = fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: bad section count %u", path, n_s);
        goto done;
    }
    const char *xml = section(data, n, EMBEDDED_METADATA, &n_sect);
    if (!xml) {
        st = fnrt_error(FNRT_ERR_FORMAT, "xclbin %s has no EMBEDDED_METADATA (kernel list)",
                        path);
        goto done;
    }
    char *xml_z = malloc(n_sect + 1);
    if (!xml_z) {
        st = fnrt_error(FNRT_ERR_NOMEM, "xclbin %s: out of memory", path);
        goto done;
    }
    memcpy(xml_z, xml, n_sect);
    xml_z[n_sect] = 0;
    st = parse_xml(path, xml_z, n_sect, x);
    free(xml_z);
    if (st != FNRT_OK)
        goto done;

    const struct ip_layout *ip = section(data, n, IP_LAYOUT, &n_sect);
    if (ip && n_sect >= sizeof(int32_t)) {
        size_t cap = (n_sect - offsetof(struct ip_layout, m_ip_data)) / sizeof(struct ip_data);
        if (ip->m_count < 0 || (size_t)ip->m_count > cap) {
            st = fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: bad IP_LAYOUT count", path);
            goto done;
        }
        for (int i = 0; i < ip->m_count; i++) {
            const struct ip_data *d = &ip->m_ip_data[i];
            if (d->m_type != IP_KERNEL)
                continue;
            if (x->n_cus == FNRT_XCLBIN_MAX_CUS) {
                st = fnrt_error(FNRT_ERR_LIMIT, "xclbin %s: more than %d CUs", path,
                                FNRT_XCLBIN_MAX_CUS);
                goto done;
            }
            char name[65];
            memcpy(name, d->m_name, 64);
            name[64] = 0;
            char *colon = strchr(name, ':');
            fnrt_xclbin_cu *cu = &x->cus[x->n_cus];
            if (colon) {
                *colon = 0;
                snprintf(cu->name, sizeof cu->name, "%s", colon + 1);
            } else {
                snprintf(cu->name, sizeof cu->name, "%s", name);
            }
            snprintf(cu->kernel, sizeof cu->kernel, "%s", name);
            x->cu_ip_index[x->n_cus++] = i;
        }
    }
    const struct mem_topology *mem = section(data, n, MEM_TOPOLOGY, &n_sect);
    if (mem && n_sect >= sizeof(int32_t)) {
        size_t cap = (n_sect - offsetof(struct mem_topology, m_mem_data)) / sizeof(struct mem_data);
        if (mem->m_count < 0 || (size_t)mem->m_count > cap ||
            mem->m_count > FNRT_XCLBIN_MAX_BANKS) {
            st = fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: bad MEM_TOPOLOGY count", path);
            goto done;
        }
        x->n_banks = mem->m_count;
        for (int i = 0; i < mem->m_count; i++) {
            memcpy(x->bank_tag[i], mem->m_mem_data[i].m_tag, 16);
            x->bank_tag[i][16] = 0;
            x->bank_used[i] = mem->m_mem_data[i].m_used;
        }
    }
    const struct connectivity *con = section(data, n, CONNECTIVITY, &n_sect);
    if (con && n_sect >= sizeof(int32_t)) {
        size_t cap = (n_sect - offsetof(struct connectivity, m_connection)) /
                     sizeof(struct connection);
        if (con->m_count < 0 || (size_t)con->m_count > cap) {
            st = fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: bad CONNECTIVITY count", path);
            goto done;
        }
        for (int i = 0; i < con->m_count && x->n_conn < FNRT_XCLBIN_MAX_CONN; i++) {
            const struct connection *c = &con->m_connection[i];
            int cu = -1;
            for (int j = 0; j < x->n_cus; j++)
                if (x->cu_ip_index[j] == c->m_ip_layout_index)
                    cu = j;
            if (cu < 0 || c->mem_data_index < 0 || c->mem_data_index >= x->n_banks)
                continue;
            x->conn[x->n_conn++] = (fnrt_xclbin_conn){ c->arg_index, cu, c->mem_data_index };
        }
    }
done:
    free(data);
    fclose(f);
    return st;
}

const fnrt_xclbin_kernel *fnrt_xclbin_find_kernel(const fnrt_xclbin *x, const char *name)
{
    for (int i = 0; i < x->n_kernels; i++)
        if (strcmp(x->kernels[i].name, name) == 0)
            return &x->kernels[i];
    return NULL;
}

static int kind_matches(const fnrt_xclbin_arg *a, fnrt_xrt_arg_kind k)
{
    switch (k) {
    case FNRT_XRT_ARG_MEM: return a->address_qualifier == 1;
    case FNRT_XRT_ARG_STREAM_IN:
    case FNRT_XRT_ARG_STREAM_OUT: return a->address_qualifier == 4;
    case FNRT_XRT_ARG_INT: return a->address_qualifier == 0 && !strstr(a->type, "float");
    case FNRT_XRT_ARG_FLOAT:
        return a->address_qualifier == 0 && (!a->type[0] || strstr(a->type, "float"));
    }
    return 0;
}

static const char *aq_str(int aq)
{
    return aq == 0 ? "scalar" : aq == 1 ? "mem" : aq == 4 ? "stream" : "other";
}

fnrt_status fnrt_xclbin_check_kernel(const fnrt_xclbin_kernel *have,
                                     const fnrt_xrt_kernel_desc *want, char *msg, size_t n_msg)
{
    for (int i = 0; i < want->n_args; i++) {
        const fnrt_xrt_arg_desc *w = &want->args[i];
        if (i >= have->n_args) {
            snprintf(msg, n_msg, "kernel %s has %d arguments, expected %d: argument %d '%s' "
                     "(%s) is missing", want->name, have->n_args, want->n_args, i, w->name,
                     fnrt_xrt_arg_kind_str(w->kind));
            return FNRT_ERR_FORMAT;
        }
        const fnrt_xclbin_arg *h = &have->args[i];
        if (h->id != i || strcmp(h->name, w->name) != 0 || !kind_matches(h, w->kind)) {
            snprintf(msg, n_msg, "kernel %s: argument %d is '%s' (%s%s%s), expected '%s' (%s)",
                     want->name, i, h->name, aq_str(h->address_qualifier),
                     h->type[0] ? " " : "", h->type, w->name, fnrt_xrt_arg_kind_str(w->kind));
            return FNRT_ERR_FORMAT;
        }
    }
    if (have->n_args > want->n_args) {
        snprintf(msg, n_msg, "kernel %s has %d arguments, expected %d: argument %d '%s' is "
                 "extra", want->name, have->n_args, want->n_args, want->n_args,
                 have->args[want->n_args].name);
        return FNRT_ERR_FORMAT;
    }
    return FNRT_OK;
}

fnrt_status fnrt_xrt_check_xclbin(const char *path, FILE *report)
{
    fnrt_status st = FNRT_OK;
    char msg[512];
    fnrt_xclbin *x = malloc(sizeof *x);
    if (!x)
        return fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    if (!path) {
        st = fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_xrt_check_xclbin: no path");
        goto done;
    }
    st = fnrt_xclbin_read(path, x);
    if (st != FNRT_OK) {
        if (report)
            fprintf(report, "xclbin %s: %s\n", path, fnrt_last_error());
        goto done;
    }
    if (report)
        fprintf(report, "xclbin %s: %d kernels, %d CUs, %d memory banks\n", path, x->n_kernels,
                x->n_cus, x->n_banks);
    int n_missing_op = 0, n_bad = 0;
    msg[0] = 0;
    char first_bad[512] = "";
    for (int i = 0; i < fnrt_xrt_n_kernels; i++) {
        const fnrt_xrt_kernel_desc *want = &fnrt_xrt_kernels[i];
        const fnrt_xclbin_kernel *have = fnrt_xclbin_find_kernel(x, want->name);
        if (!have) {
            if (report)
                fprintf(report, "  %-20s MISSING%s%s\n", want->name,
                        want->op >= 0 ? ": needed by op " : " (glue kernel: needed by every op)",
                        want->op >= 0 ? fnrt_op_type_str((fnrt_op_type)want->op) : "");
            if (want->op >= 0) {
                n_missing_op++;
            } else {
                if (!n_bad)
                    snprintf(first_bad, sizeof first_bad, "glue kernel %s is missing",
                             want->name);
                n_bad++;
            }
            continue;
        }
        fnrt_status kst = fnrt_xclbin_check_kernel(have, want, msg, sizeof msg);
        int n_cu = 0;
        for (int c = 0; c < x->n_cus; c++)
            n_cu += strcmp(x->cus[c].kernel, want->name) == 0;
        if (report)
            fprintf(report, "  %-20s %s, %d CU%s%s%s\n", want->name,
                    kst == FNRT_OK ? "ok" : "WRONG ARGUMENTS", n_cu, n_cu == 1 ? "" : "s",
                    kst == FNRT_OK ? "" : ": ", kst == FNRT_OK ? "" : msg);
        if (kst != FNRT_OK && !n_bad++)
            snprintf(first_bad, sizeof first_bad, "%s", msg);
        if (!report)
            continue;
        for (int a = 0; a < have->n_args; a++) {
            const fnrt_xclbin_arg *g = &have->args[a];
            fprintf(report, "      arg %2d %-12s %-6s", g->id, g->name,
                    aq_str(g->address_qualifier));
            if (g->address_qualifier == 1) {
                fprintf(report, " banks:");
                for (int c = 0; c < x->n_cus; c++) {
                    if (strcmp(x->cus[c].kernel, want->name) != 0)
                        continue;
                    for (int j = 0; j < x->n_conn; j++)
                        if (x->conn[j].cu == c && x->conn[j].arg == g->id)
                            fprintf(report, " %s=%s", x->cus[c].name,
                                    x->bank_tag[x->conn[j].bank]);
                }
            }
            fprintf(report, "\n");
        }
    }
    for (int i = 0; i < x->n_kernels; i++)
        if (!fnrt_xrt_kernel_find(x->kernels[i].name) && report)
            fprintf(report, "  %-20s (not used by fnrt)\n", x->kernels[i].name);
    /* the sidecar the runtime checks at load */
    fnrt_xrt_sidecar *side = malloc(sizeof *side);
    fnrt_status sst = side ? fnrt_xrt_sidecar_load(path, x, side)
                           : fnrt_error(FNRT_ERR_NOMEM, "out of memory");
    char side_err[1024] = "";
    if (sst != FNRT_OK)
        snprintf(side_err, sizeof side_err, "%s", fnrt_last_error());
    if (report && sst == FNRT_OK) {
        const fnrt_xrt_design *d = &side->design;
        fprintf(report, "sidecar %s: ok: %s, target %s, %s, P=%d, MAX_PIX %d, LB_WORDS %d, "
                "MAX_CO %d, MAX_WC %d\n", side->path, side->platform, side->target,
                fnrt_xrt_prec_str(d->prec), d->p, d->max_pix, d->lb_words, d->max_co,
                d->max_wc);
    } else if (report) {
        fprintf(report, "sidecar: %s\n", side_err);
    }
    free(side);
    if (n_bad)
        st = fnrt_error(FNRT_ERR_FORMAT, "xclbin %s: %s", path, first_bad);
    else if (sst != FNRT_OK)
        st = fnrt_error(sst, "%s", side_err);
    else if (n_missing_op)
        st = fnrt_error(FNRT_ERR_UNSUPPORTED, "xclbin %s lacks %d op kernel%s (see report)", path,
                        n_missing_op, n_missing_op == 1 ? "" : "s");
    if (report)
        fprintf(report, "result: %s\n", st == FNRT_OK ? "ok" : fnrt_last_error());
done:
    free(x);
    return st;
}

#else
/* Built without XRT: the check is still callable (fnrt doctor) and says why it cannot run. */
#include "backend/xrt/xrt.h"

fnrt_status fnrt_xrt_check_xclbin(const char *path, FILE *report)
{
    if (report)
        fprintf(report, "xclbin %s: not checked: fnrt was built without XRT\n",
                path ? path : "(none)");
    return fnrt_error(FNRT_ERR_UNSUPPORTED, "fnrt was built without XRT (libxrt-dev): cannot "
                      "check xclbin %s", path ? path : "(none)");
}
#endif
