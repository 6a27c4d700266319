/* fnrt-mkxclbin — writes a metadata-only xclbin for the fnrt stage kernels (tests of the XRT
 * backend without hardware: XRT's noop shim loads it, enumerates kernels/CUs/arguments and
 * runs nothing).  Sections: EMBEDDED_METADATA (kernel XML), IP_LAYOUT (CUs), MEM_TOPOLOGY
 * (banks) and CONNECTIVITY (memory argument -> bank), laid out with the structs of
 * <xrt/xclbin.h>.  CU names follow bitstreams/gen-config.py: fnrt_<op>_1, and for each stream
 * port mm2s_<op>_1_<port> / s2mm_<op>_1_<port>.
 *
 *   fnrt-mkxclbin -o OUT.xclbin [--omit KERNEL]... [--bad-args KERNEL]... [--banks N]
 *                 [--precision fp32|int16|int8|int8-requant] [--lanes P] [--max-pix N]
 *                 [--lb-words N] [--max-co N] [--platform VBNV] [--no-sidecar]
 *                 [--sidecar-bad FIELD]
 *
 * --platform sets the platform VBNV of the header (default xilinx_fnrt_test_noop_1_0);
 * --omit leaves a kernel out; --bad-args gives a kernel a wrong argument list (its last
 * argument dropped and its first one renamed).
 *
 * Next to the xclbin it writes OUT.xclbin.json, the sidecar of bitstreams/make-sidecar.py
 * (format fnrt-xclbin/1) describing this file: its sha256 and uuid, platform, the design
 * parameters (FNRT_HLS_*: precision, lanes, conv accumulator and line buffer; defaults
 * those of hls/common/fnrt-hls-config.h), kernels with CUs and port kinds, layout.
 * --no-sidecar writes none; --sidecar-bad FIELD writes one that contradicts the xclbin or
 * itself in FIELD (sha256, uuid, platform, kernel, cu, port, precision, lanes, format), for
 * the tests of the runtime's sidecar check. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <xrt/xclbin.h>

#include "backend/xrt/xrt-kernels.h"
#include "core/sha256.h"

#define MAX_CUS 128
#define MAX_LIST 32

typedef struct cu {
    const fnrt_xrt_kernel_desc *k;
    char name[40]; /* CU (instance) name (kernel:CU fits the 64 bytes of ip_data) */
    int bad;
} cu;

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int buf_add(buf *b, const void *src, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 4096;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p)
            return -1;
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, src, n);
    b->n += n;
    b->p[b->n] = 0;
    return 0;
}

static int bprintf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bprintf(buf *b, const char *fmt, ...)
{
    char tmp[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp)
        return -1;
    return buf_add(b, tmp, (size_t)n);
}

static int in_list(const char *name, char **list, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return 1;
    return 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: fnrt-mkxclbin -o OUT.xclbin [--omit KERNEL]... "
                    "[--bad-args KERNEL]... [--banks N] [--precision fp32|int16|int8|int8-requant] "
                    "[--lanes P] [--max-pix N] [--lb-words N] [--max-co N] [--platform VBNV] "
                    "[--no-sidecar] "
                    "[--sidecar-bad FIELD]\n");
    return 2;
}

typedef struct design {
    int prec, p, max_pix, lb_words, max_co;
} design;

static const char *port_kind(fnrt_xrt_arg_kind k)
{
    return k == FNRT_XRT_ARG_MEM ? "m_axi"
           : (k == FNRT_XRT_ARG_STREAM_IN || k == FNRT_XRT_ARG_STREAM_OUT) ? "axis" : "scalar";
}

/* OUT.xclbin.json for the file just written (bytes file[0..n)). */
static int write_sidecar(const char *out_path, const unsigned char *file, size_t n,
                         const struct axlf *top, const cu *cus, int n_cus, const design *dz,
                         const char *bad)
{
    static const char *prec_name[] = { "fp32", "int16", "int8", "int8-requant" };
    char sha[65], uuid[33], path[4200];
    fnrt_sha256_hex(file, n, sha);
    for (int i = 0; i < 16; i++)
        snprintf(uuid + 2 * i, 3, "%02x", ((const unsigned char *)top->m_header.uuid)[i]);
    const char *base = strrchr(out_path, '/');
    base = base ? base + 1 : out_path;
#define BAD(f) (bad && strcmp(bad, f) == 0)
    if (BAD("sha256"))
        sha[0] = sha[0] == '0' ? '1' : '0';
    if (BAD("uuid"))
        uuid[0] = uuid[0] == '0' ? '1' : '0';
    json_t *root = json_object(), *hls = json_object(), *kernels = json_array();
    json_t *layout = json_object();
    json_object_set_new(root, "format",
                        json_string(BAD("format") ? "fnrt-xclbin/0" : "fnrt-xclbin/1"));
    json_object_set_new(root, "xclbin", json_string(base));
    json_object_set_new(root, "xclbin_sha256", json_string(sha));
    json_object_set_new(root, "xclbin_uuid", json_string(uuid));
    json_object_set_new(root, "platform",
                        json_string(BAD("platform") ? "xilinx_u55c_gen3x16_xdma_3_202210_1"
                                                    : (const char *)top->m_header.m_platformVBNV));
    json_object_set_new(root, "target", json_string("hw"));
    json_object_set_new(root, "precision",
                        json_string(prec_name[BAD("precision") ? (dz->prec + 1) % 4 : dz->prec]));
    json_object_set_new(root, "clock_mhz", json_integer(300));
    json_object_set_new(hls, "FNRT_HLS_PREC", json_integer(dz->prec));
    json_object_set_new(hls, "FNRT_HLS_P", json_integer(dz->p));
    json_object_set_new(hls, "FNRT_HLS_MAX_PIX", json_integer(dz->max_pix));
    json_object_set_new(hls, "FNRT_HLS_LB_WORDS", json_integer(dz->lb_words));
    json_object_set_new(hls, "FNRT_HLS_MAX_CO", json_integer(dz->max_co));
    json_object_set_new(hls, "FNRT_HLS_MAX_WC", json_integer(16384));
    json_object_set_new(hls, "FNRT_HLS_MAX_W", json_integer(256));
    json_object_set_new(hls, "FNRT_HLS_MAX_C", json_integer(1024));
    json_object_set_new(root, "hls", hls);
    for (int i = 0; i < fnrt_xrt_n_kernels; i++) {
        const fnrt_xrt_kernel_desc *k = &fnrt_xrt_kernels[i];
        json_t *kc = json_array(), *ports = json_object();
        int is_bad = 0;
        for (int c = 0; c < n_cus; c++)
            if (cus[c].k == k) {
                json_array_append_new(kc, json_string(cus[c].name));
                is_bad = cus[c].bad;
            }
        if (json_array_size(kc) == 0) {
            json_decref(kc);
            json_decref(ports);
            continue;
        }
        if (BAD("cu") && k->op == FNRT_OP_CONV2D)
            json_array_append_new(kc, json_string("fnrt_conv2d_2"));
        int n_args = is_bad ? k->n_args - 1 : k->n_args;
        for (int a = 0; a < n_args; a++) {
            const char *kind = port_kind(k->args[a].kind);
            if (BAD("port") && k->op == FNRT_OP_CONV2D && a == 1)
                kind = "axis";
            json_object_set_new(ports, is_bad && a == 0 ? "wrong_name" : k->args[a].name,
                                json_string(kind));
        }
        json_t *ke = json_object();
        json_object_set_new(ke, "name", json_string(k->name));
        json_object_set_new(ke, "cus", kc);
        json_object_set_new(ke, "ports", ports);
        json_array_append_new(kernels, ke);
    }
    if (BAD("kernel")) {
        json_t *ke = json_object();
        json_object_set_new(ke, "name", json_string("fnrt_attention"));
        json_object_set_new(ke, "cus", json_array());
        json_object_set_new(ke, "ports", json_object());
        json_array_append_new(kernels, ke);
    }
    json_object_set_new(root, "kernels", kernels);
    json_object_set_new(layout, "activations", json_string("blocked"));
    json_object_set_new(layout, "lanes", json_integer(BAD("lanes") ? dz->p * 2 : dz->p));
    json_object_set_new(layout, "weights", json_string("packed-steps"));
    json_object_set_new(root, "layout", layout);
    json_object_set_new(root, "source_sha256", json_null());
    json_object_set_new(root, "mapping", json_string("pooled"));
#undef BAD
    snprintf(path, sizeof path, "%s.json", out_path);
    int rc = json_dump_file(root, path, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    if (rc != 0) {
        fprintf(stderr, "fnrt-mkxclbin: cannot write %s\n", path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *out_path = NULL;
    char *omit[MAX_LIST], *bad[MAX_LIST];
    int n_omit = 0, n_bad = 0, n_banks = 2, no_sidecar = 0;
    const char *sidecar_bad = NULL, *platform = "xilinx_fnrt_test_noop_1_0";
    design dz = { 0, 8, 2048, 0, 512 }; /* hls/common/fnrt-hls-config.h */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc)
            out_path = argv[++i];
        else if (strcmp(argv[i], "--omit") == 0 && i + 1 < argc && n_omit < MAX_LIST)
            omit[n_omit++] = argv[++i];
        else if (strcmp(argv[i], "--bad-args") == 0 && i + 1 < argc && n_bad < MAX_LIST)
            bad[n_bad++] = argv[++i];
        else if (strcmp(argv[i], "--banks") == 0 && i + 1 < argc)
            n_banks = atoi(argv[++i]);
        else if (strcmp(argv[i], "--precision") == 0 && i + 1 < argc) {
            const char *p = argv[++i];
            dz.prec = strcmp(p, "fp32") == 0 ? 0 : strcmp(p, "int16") == 0 ? 1
                      : strcmp(p, "int8") == 0 ? 2 : strcmp(p, "int8-requant") == 0 ? 3 : -1;
            if (dz.prec < 0)
                return usage();
        } else if (strcmp(argv[i], "--lanes") == 0 && i + 1 < argc)
            dz.p = atoi(argv[++i]);
        else if (strcmp(argv[i], "--max-pix") == 0 && i + 1 < argc)
            dz.max_pix = atoi(argv[++i]);
        else if (strcmp(argv[i], "--lb-words") == 0 && i + 1 < argc)
            dz.lb_words = atoi(argv[++i]);
        else if (strcmp(argv[i], "--max-co") == 0 && i + 1 < argc)
            dz.max_co = atoi(argv[++i]);
        else if (strcmp(argv[i], "--platform") == 0 && i + 1 < argc)
            platform = argv[++i];
        else if (strcmp(argv[i], "--no-sidecar") == 0)
            no_sidecar = 1;
        else if (strcmp(argv[i], "--sidecar-bad") == 0 && i + 1 < argc)
            sidecar_bad = argv[++i];
        else
            return usage();
    }
    if (!out_path || n_banks < 1 || n_banks > 16 || dz.p < 1 || dz.max_pix < 1 ||
        dz.lb_words < 0 || dz.max_co < 1)
        return usage();
    if (dz.lb_words == 0)
        dz.lb_words = 12 * 16384 / dz.p; /* FNRT_HLS_LB_WORDS default for FNRT_HLS_MAX_WC */
    for (int i = 0; i < n_omit; i++)
        if (!fnrt_xrt_kernel_find(omit[i]))
            fprintf(stderr, "fnrt-mkxclbin: warning: --omit %s: not a kernel of the table\n",
                    omit[i]);

    /* CUs: one per op kernel, glue CUs per stream port. */
    static cu cus[MAX_CUS];
    int n_cus = 0;
    const fnrt_xrt_kernel_desc *mm2s = fnrt_xrt_kernel_find(FNRT_XRT_MM2S);
    const fnrt_xrt_kernel_desc *s2mm = fnrt_xrt_kernel_find(FNRT_XRT_S2MM);
    for (int i = 0; i < fnrt_xrt_n_kernels; i++) {
        const fnrt_xrt_kernel_desc *k = &fnrt_xrt_kernels[i];
        if (k->op < 0 || in_list(k->name, omit, n_omit))
            continue;
        const char *op = k->name + 5; /* after "fnrt_" */
        cus[n_cus].k = k;
        cus[n_cus].bad = in_list(k->name, bad, n_bad);
        snprintf(cus[n_cus].name, sizeof cus[n_cus].name, "%s_1", k->name);
        n_cus++;
        for (int a = 0; a < k->n_args && n_cus < MAX_CUS; a++) {
            fnrt_xrt_arg_kind kind = k->args[a].kind;
            if (kind != FNRT_XRT_ARG_STREAM_IN && kind != FNRT_XRT_ARG_STREAM_OUT)
                continue;
            const fnrt_xrt_kernel_desc *g = kind == FNRT_XRT_ARG_STREAM_IN ? mm2s : s2mm;
            if (in_list(g->name, omit, n_omit))
                continue;
            cus[n_cus].k = g;
            cus[n_cus].bad = in_list(g->name, bad, n_bad);
            snprintf(cus[n_cus].name, sizeof cus[n_cus].name, "%s_%s_1_%s",
                     kind == FNRT_XRT_ARG_STREAM_IN ? "mm2s" : "s2mm", op, k->args[a].name);
            n_cus++;
        }
    }

    /* EMBEDDED_METADATA: one <kernel> per kernel with its <arg>s and <instance>s. */
    buf xml = { 0 };
    int ok = 1;
    ok &= !bprintf(&xml, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                         "<project name=\"fnrt\">\n"
                         "  <platform vendor=\"xilinx\" boardid=\"fnrt-test\" name=\"fnrt_test\" "
                         "featureRomTime=\"0\">\n"
                         "    <version major=\"1\" minor=\"0\"/>\n"
                         "    <description/>\n"
                         "    <device name=\"fpga0\" fpgaDevice=\"virtexuplus\" addrWidth=\"0\">\n"
                         "      <core name=\"OCL_REGION_0\" target=\"hw\" type=\"clc_region\" "
                         "clockFreq=\"300MHz\" numComputeUnits=\"%d\">\n", n_cus);
    for (int i = 0; i < fnrt_xrt_n_kernels; i++) {
        const fnrt_xrt_kernel_desc *k = &fnrt_xrt_kernels[i];
        int any = 0, is_bad = 0;
        for (int c = 0; c < n_cus; c++)
            if (cus[c].k == k) {
                any = 1;
                is_bad = cus[c].bad;
            }
        if (!any)
            continue;
        ok &= !bprintf(&xml,
                       "        <kernel name=\"%s\" language=\"c\" vlnv=\"xilinx.com:hls:%s:1.0\" "
                       "preferredWorkGroupSizeMultiple=\"0\" workGroupSize=\"1\" "
                       "interrupt=\"true\" hwControlProtocol=\"ap_ctrl_hs\">\n"
                       "          <port name=\"S_AXI_CONTROL\" mode=\"slave\" range=\"0x1000\" "
                       "dataWidth=\"32\" portType=\"addressable\" base=\"0x0\"/>\n"
                       "          <port name=\"M_AXI_GMEM0\" mode=\"master\" "
                       "range=\"0xFFFFFFFFFFFFFFFF\" dataWidth=\"512\" portType=\"addressable\" "
                       "base=\"0x0\"/>\n",
                       k->name, k->name);
        int n_args = is_bad ? k->n_args - 1 : k->n_args;
        for (int a = 0; a < k->n_args; a++) {
            fnrt_xrt_arg_kind kind = k->args[a].kind;
            if (kind == FNRT_XRT_ARG_STREAM_IN || kind == FNRT_XRT_ARG_STREAM_OUT)
                ok &= !bprintf(&xml, "          <port name=\"%s\" mode=\"%s\" dataWidth=\"512\" "
                                     "portType=\"stream\"/>\n",
                               k->args[a].name,
                               kind == FNRT_XRT_ARG_STREAM_IN ? "read_only" : "write_only");
        }
        unsigned off = 0x10;
        for (int a = 0; a < n_args; a++) {
            const fnrt_xrt_arg_desc *d = &k->args[a];
            const char *name = is_bad && a == 0 ? "wrong_name" : d->name;
            switch (d->kind) {
            case FNRT_XRT_ARG_MEM:
                ok &= !bprintf(&xml, "          <arg name=\"%s\" addressQualifier=\"1\" id=\"%d\" "
                                     "port=\"M_AXI_GMEM0\" size=\"0x8\" offset=\"0x%x\" "
                                     "hostOffset=\"0x0\" hostSize=\"0x8\" type=\"void*\"/>\n",
                               name, a, off);
                off += 12;
                break;
            case FNRT_XRT_ARG_STREAM_IN:
            case FNRT_XRT_ARG_STREAM_OUT:
                ok &= !bprintf(&xml, "          <arg name=\"%s\" addressQualifier=\"4\" id=\"%d\" "
                                     "port=\"%s\" size=\"0x4\" offset=\"0x%x\" hostOffset=\"0x0\" "
                                     "hostSize=\"0x4\" type=\"stream&lt;act_axis&gt;&amp;\"/>\n",
                               name, a, d->name, off);
                off += 8;
                break;
            case FNRT_XRT_ARG_INT:
            case FNRT_XRT_ARG_FLOAT:
                ok &= !bprintf(&xml, "          <arg name=\"%s\" addressQualifier=\"0\" id=\"%d\" "
                                     "port=\"S_AXI_CONTROL\" size=\"0x4\" offset=\"0x%x\" "
                                     "hostOffset=\"0x0\" hostSize=\"0x4\" type=\"%s\"/>\n",
                               name, a, off, d->kind == FNRT_XRT_ARG_INT ? "int" : "float");
                off += 8;
                break;
            }
        }
        for (int c = 0; c < n_cus; c++)
            if (cus[c].k == k)
                ok &= !bprintf(&xml, "          <instance name=\"%s\">\n"
                                     "            <addrRemap base=\"0x%x\" range=\"0x10000\" "
                                     "port=\"S_AXI_CONTROL\"/>\n"
                                     "          </instance>\n",
                               cus[c].name, 0x1800000u + 0x10000u * (unsigned)c);
        ok &= !bprintf(&xml, "        </kernel>\n");
    }
    ok &= !bprintf(&xml, "      </core>\n    </device>\n  </platform>\n</project>\n");

    /* IP_LAYOUT (sorted by base address = CU order). */
    size_t ip_bytes = sizeof(struct ip_layout) + (size_t)(n_cus - 1) * sizeof(struct ip_data);
    struct ip_layout *ip = calloc(1, ip_bytes);
    /* MEM_TOPOLOGY */
    size_t mem_bytes = sizeof(struct mem_topology) + (size_t)(n_banks - 1) * sizeof(struct mem_data);
    struct mem_topology *mem = calloc(1, mem_bytes);
    /* CONNECTIVITY: every memory argument of every CU, banks round-robin. */
    int n_conn = 0;
    for (int c = 0; c < n_cus; c++)
        for (int a = 0; a < cus[c].k->n_args; a++)
            n_conn += cus[c].k->args[a].kind == FNRT_XRT_ARG_MEM;
    size_t conn_bytes = sizeof(struct connectivity) +
                        (size_t)(n_conn > 0 ? n_conn - 1 : 0) * sizeof(struct connection);
    struct connectivity *conn = calloc(1, conn_bytes);
    if (!ok || !ip || !mem || !conn) {
        fprintf(stderr, "fnrt-mkxclbin: out of memory\n");
        return 1;
    }
    ip->m_count = n_cus;
    for (int c = 0; c < n_cus; c++) {
        struct ip_data *d = &ip->m_ip_data[c];
        d->m_type = IP_KERNEL;
        d->properties = 0; /* AP_CTRL_HS, no interrupt */
        d->m_base_address = 0x1800000u + 0x10000u * (unsigned)c;
        snprintf((char *)d->m_name, sizeof d->m_name, "%s:%s", cus[c].k->name, cus[c].name);
    }
    mem->m_count = n_banks;
    for (int b = 0; b < n_banks; b++) {
        struct mem_data *d = &mem->m_mem_data[b];
        d->m_type = MEM_DDR4;
        d->m_used = 1;
        d->m_size = 1024 * 1024; /* KB: 1 GiB */
        d->m_base_address = 0x4000000000ull * (uint64_t)b;
        snprintf((char *)d->m_tag, sizeof d->m_tag, "DDR[%d]", b);
    }
    conn->m_count = n_conn;
    int ci_ = 0, rr = 0;
    for (int c = 0; c < n_cus; c++)
        for (int a = 0; a < cus[c].k->n_args; a++)
            if (cus[c].k->args[a].kind == FNRT_XRT_ARG_MEM) {
                conn->m_connection[ci_].arg_index = a;
                conn->m_connection[ci_].m_ip_layout_index = c;
                conn->m_connection[ci_].mem_data_index = rr++ % n_banks;
                ci_++;
            }

    /* The file: axlf header, section headers, sections (8-byte aligned). */
    enum { N_SECT = 4 };
    const void *sect_data[N_SECT] = { xml.p, ip, mem, conn };
    size_t sect_size[N_SECT] = { xml.n, ip_bytes, mem_bytes, conn_bytes };
    uint32_t sect_kind[N_SECT] = { EMBEDDED_METADATA, IP_LAYOUT, MEM_TOPOLOGY, CONNECTIVITY };
    const char *sect_name[N_SECT] = { "metadata", "ip_layout", "mem_topology", "connectivity" };
    size_t hdr_bytes = sizeof(struct axlf) + (N_SECT - 1) * sizeof(struct axlf_section_header);
    size_t off = (hdr_bytes + 7) & ~(size_t)7, offs[N_SECT];
    for (int s = 0; s < N_SECT; s++) {
        offs[s] = off;
        off = (off + sect_size[s] + 7) & ~(size_t)7;
    }
    size_t total = off;
    unsigned char *file = calloc(1, total);
    if (!file) {
        fprintf(stderr, "fnrt-mkxclbin: out of memory\n");
        return 1;
    }
    struct axlf *top = (struct axlf *)file;
    memcpy(top->m_magic, "xclbin2", 8);
    top->m_signature_length = -1;
    memset(top->reserved, 0xff, sizeof top->reserved);
    top->m_header.m_length = total;
    top->m_header.m_timeStamp = (uint64_t)time(NULL);
    top->m_header.m_versionMajor = 2;
    top->m_header.m_versionMinor = 13;
    top->m_header.m_mode = XCLBIN_FLAT;
    snprintf((char *)top->m_header.m_platformVBNV, sizeof top->m_header.m_platformVBNV,
             "%s", platform);
    /* uuid: a hash of the metadata, so that different variants differ */
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < xml.n; i++)
        h = (h ^ (unsigned char)xml.p[i]) * 1099511628211ull;
    for (int i = 0; i < 16; i++) {
        h = (h ^ (uint64_t)i) * 1099511628211ull;
        ((unsigned char *)top->m_header.uuid)[i] = (unsigned char)(h >> 32);
    }
    top->m_header.m_numSections = N_SECT;
    for (int s = 0; s < N_SECT; s++) {
        struct axlf_section_header *sh = &top->m_sections[s];
        sh->m_sectionKind = sect_kind[s];
        snprintf(sh->m_sectionName, sizeof sh->m_sectionName, "%s", sect_name[s]);
        sh->m_sectionOffset = offs[s];
        sh->m_sectionSize = sect_size[s];
        memcpy(file + offs[s], sect_data[s], sect_size[s]);
    }
    FILE *f = fopen(out_path, "wb");
    if (!f || fwrite(file, 1, total, f) != total || fclose(f) != 0) {
        fprintf(stderr, "fnrt-mkxclbin: cannot write %s\n", out_path);
        return 1;
    }
    if (!no_sidecar &&
        write_sidecar(out_path, file, total, top, cus, n_cus, &dz, sidecar_bad) != 0)
        return 1;
    printf("fnrt-mkxclbin: wrote %s (%d CUs, %d banks, %zu bytes)%s\n", out_path, n_cus,
           n_banks, total, no_sidecar ? "" : " and its sidecar");
    free(file);
    free(conn);
    free(mem);
    free(ip);
    free(xml.p);
    return 0;
}
