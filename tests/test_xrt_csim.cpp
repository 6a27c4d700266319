/* The XRT backend end to end on a C-simulated card: this executable defines the XRT C API
 * functions the backend calls (xrtDeviceOpen ... xrtRunWait; its definitions take precedence
 * over libxrt_coreutil's), and a run of a CU executes the HLS kernel's top function
 * (hls/, compiled into this test with the design of the build) on the BOs' bytes, glue CUs
 * included, streams joined by the CU names of bitstreams/gen-config.py.  So everything the
 * backend does on a card — sidecar design, layouts and packing per BO and memory bank, the
 * dummy bias, scalar arguments, bands, launch order and waits — meets real kernel semantics.
 *
 * A session runs fnr2r-tiny and crossmodal-tiny on "xrt" (xclbin and sidecar from
 * fnrt-mkxclbin with this build's precision and lanes) and on "ref"; the normals are
 * compared in degrees.  fp32: mean <= 0.01, max <= 0.5; ap_fixed<16>: mean <= 0.5; ap_fixed<8>:
 * reported.  Memory banks: every kernel argument reports one of three groups (by CU and
 * argument), so buffers get BOs in several banks and move between them through the host.
 * Needs FNRT_MKXCLBIN and FNRT_TEST_DATA (CTest sets them). */
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include <unistd.h>
#include <xrt/xrt_bo.h>
#include <xrt/xrt_device.h>
#include <xrt/xrt_kernel.h>

#include "fnrt-hls-config.h"
#include "fnrt-hls-tb.h"
#include "test-hls-tops.h"

#include "backend/xrt/xrt-kernels.h"
#include "fnrt/fnrt.h"

using namespace fnrt_hls;
using namespace fnrt_tb;

/* ---- the simulated card ---- */

namespace {

struct sim_bo {
    std::vector<unsigned char> bytes;
};

struct sim_kernel {
    const fnrt_xrt_kernel_desc *desc;
    std::string cu; /* CU name, e.g. "fnrt_conv2d_1", "mm2s_conv2d_1_x" */
    int cu_id;
};

struct sim_arg {
    sim_bo *bo = NULL;
    uint32_t u = 0;
};

struct sim_run {
    sim_kernel *k;
    std::vector<sim_arg> args;
    bool started = false, done = false;
};

std::map<std::string, hls::stream<act_axis> > g_streams; /* "<op>_<n>_<port>" */
std::vector<sim_run *> g_runs;
int g_n_cus, g_n_launches;
unsigned char g_device;

template <class T> std::vector<T> from_bytes(const std::vector<unsigned char> &b, size_t n = 0)
{
    const int nb = num<T>::bits / 8;
    std::vector<T> v(n ? n : b.size() / nb);
    for (size_t i = 0; i < v.size() && (i + 1) * nb <= b.size(); i++) {
        uint64_t u = 0;
        for (int k = 0; k < nb; k++)
            u |= (uint64_t)b[i * nb + k] << (8 * k);
        v[i] = num<T>::from_bits(u);
    }
    return v;
}

template <class T> void to_bytes(const std::vector<T> &v, std::vector<unsigned char> &b)
{
    const int nb = num<T>::bits / 8;
    for (size_t i = 0; i < v.size() && (i + 1) * nb <= b.size(); i++) {
        uint64_t u = num<T>::to_bits(v[i]);
        for (int k = 0; k < nb; k++)
            b[i * nb + k] = (unsigned char)(u >> (8 * k));
    }
}

int arg_index(const sim_kernel *k, const char *name)
{
    for (int a = 0; a < k->desc->n_args; a++)
        if (std::strcmp(k->desc->args[a].name, name) == 0)
            return a;
    std::fprintf(stderr, "sim: kernel %s has no argument %s\n", k->desc->name, name);
    std::abort();
}

/* The stream of CU port: glue CUs are named after the op CU's port they serve. */
hls::stream<act_axis> &port_stream(const sim_kernel *k, const char *port)
{
    std::string key = k->cu.compare(0, 5, "fnrt_") == 0 ? k->cu.substr(5) + "_" + port
                                                         : k->cu.substr(5);
    return g_streams[key];
}

void execute(sim_run *r)
{
    const sim_kernel *k = r->k;
    auto I = [&](const char *n) { return (int)r->args[arg_index(k, n)].u; };
    auto F = [&](const char *n) {
        float f;
        uint32_t u = r->args[arg_index(k, n)].u;
        std::memcpy(&f, &u, 4);
        return f;
    };
    auto B = [&](const char *n) -> sim_bo * { return r->args[arg_index(k, n)].bo; };
    auto S = [&](const char *p) -> hls::stream<act_axis> & { return port_stream(k, p); };
    const int WV = 512 / num<wt_t>::bits;
    const std::string name = k->desc->name;
    if (name == "fnrt_mm2s") {
        std::vector<act_t> m = from_bytes<act_t>(B("src")->bytes);
        fnrt_mm2s(m.data(), S(""), I("c"), I("h"), I("w"), I("c_first"), I("c_step"), I("order"),
                  I("tile_rows"));
    } else if (name == "fnrt_s2mm") {
        std::vector<act_t> m = from_bytes<act_t>(B("dst")->bytes);
        fnrt_s2mm(S(""), m.data(), I("c"), I("h"), I("w"), I("c_base"), I("order"),
                  I("tile_rows"));
        to_bytes(m, B("dst")->bytes);
    } else if (name == "fnrt_conv2d" || name == "fnrt_deconv2d") {
        std::vector<wt_t> flat = from_bytes<wt_t>(B("w")->bytes);
        std::vector<wword> w(flat.size() / WV);
        for (size_t i = 0; i < w.size() * WV; i++)
            w[i / WV].v[i % WV] = flat[i];
        std::vector<float> bias = from_bytes<float>(B("bias")->bytes);
        if (name == "fnrt_conv2d")
            fnrt_conv2d(S("x"), w.data(), bias.data(), S("res"), S("y"), I("ci"), I("h"),
                        I("wd"), I("co"), I("kh"), I("kw"), I("stride"), I("pad"), I("act_in"),
                        I("act_out"), F("alpha_in"), F("alpha_out"), I("tile_rows"),
                        I("has_bias"), I("has_res"));
        else
            fnrt_deconv2d(S("x"), w.data(), bias.data(), S("y"), I("ci"), I("h"), I("wd"),
                          I("co"), I("k"), I("stride"), I("pad"), I("act_in"), I("act_out"),
                          F("alpha_in"), F("alpha_out"), I("tile_rows"), I("has_bias"));
    } else if (name == "fnrt_maxpool") {
        fnrt_maxpool(S("x"), S("y"), I("c"), I("h"), I("w"), I("k"), I("stride"), I("pad"));
    } else if (name == "fnrt_upsample2x") {
        fnrt_upsample2x(S("x"), S("y"), I("c"), I("h"), I("w"), I("align_corners"));
    } else if (name == "fnrt_concat") {
        fnrt_concat(S("a"), S("b"), S("y"), I("ca"), I("cb"), I("stride_b"), I("n_pix"));
    } else if (name == "fnrt_global_avgpool") {
        fnrt_global_avgpool(S("x"), S("y"), I("c"), I("h"), I("w"));
    } else if (name == "fnrt_gray") {
        fnrt_gray(S("x"), S("y"), I("n_pix"));
    } else if (name == "fnrt_l2norm") {
        fnrt_l2norm(S("x"), S("y"), I("n_pix"), I("swizzle"), F("eps"));
    } else if (name == "fnrt_add") {
        fnrt_add(S("a"), S("b"), S("y"), I("c"), I("n_pix"), I("act"), F("alpha"));
    } else if (name == "fnrt_maxmerge") {
        fnrt_maxmerge(S("x"), S("skip"), S("y"), I("c"), I("k"), I("n_pix"));
    } else if (name == "fnrt_modulate") {
        std::vector<float> wf = from_bytes<float>(B("w")->bytes);
        std::vector<vec<float, 16> > w(wf.size() / 16);
        for (size_t i = 0; i < w.size() * 16; i++)
            w[i / 16].v[i % 16] = wf[i];
        std::vector<act_t> s = from_bytes<act_t>(B("s")->bytes);
        std::vector<wt_t> flat = from_bytes<wt_t>(B("y")->bytes);
        std::vector<wword> y(flat.size() / WV);
        fnrt_modulate(w.data(), s.data(), y.data(), I("co"), I("ci"), I("k"), F("scale"),
                      F("eps"));
        for (size_t i = 0; i < y.size() * WV; i++)
            flat[i] = y[i / WV].v[i % WV];
        to_bytes(flat, B("y")->bytes);
    } else {
        std::fprintf(stderr, "sim: no kernel %s\n", name.c_str());
        std::abort();
    }
}

/* Every started run: producers (mm2s), the op kernels, then consumers (s2mm); the
 * streams between them are unbounded FIFOs in C-simulation. */
void execute_started()
{
    for (int phase = 0; phase < 3; phase++)
        for (sim_run *r : g_runs) {
            if (!r->started || r->done)
                continue;
            const std::string &n = r->k->desc->name;
            int ph = n == "fnrt_mm2s" ? 0 : n == "fnrt_s2mm" ? 2 : 1;
            if (ph != phase)
                continue;
            execute(r);
            r->done = true;
        }
}

} // namespace

extern "C" {

xrtDeviceHandle xrtDeviceOpen(unsigned int index)
{
    return index == 0 ? &g_device : NULL;
}
int xrtDeviceClose(xrtDeviceHandle)
{
    return 0;
}
int xrtDeviceLoadXclbinFile(xrtDeviceHandle, const char *)
{
    return 0;
}
int xrtDeviceGetXclbinUUID(xrtDeviceHandle, xuid_t out)
{
    std::memset(out, 0, sizeof(xuid_t));
    return 0;
}
xrtKernelHandle xrtPLKernelOpen(xrtDeviceHandle, const xuid_t, const char *spec)
{
    /* "kernel:{cu}" */
    std::string s = spec;
    size_t colon = s.find(':');
    sim_kernel *k = new sim_kernel;
    k->desc = fnrt_xrt_kernel_find(s.substr(0, colon).c_str());
    k->cu = colon == std::string::npos ? s : s.substr(colon + 2, s.size() - colon - 3);
    k->cu_id = g_n_cus++;
    if (!k->desc) {
        delete k;
        return NULL;
    }
    return k;
}
int xrtKernelClose(xrtKernelHandle k)
{
    delete (sim_kernel *)k;
    return 0;
}
int xrtKernelArgGroupId(xrtKernelHandle k, int argno)
{
    return (((sim_kernel *)k)->cu_id + argno) % 3;
}
xrtBufferHandle xrtBOAlloc(xrtDeviceHandle, size_t size, xrtBufferFlags, xrtMemoryGroup)
{
    sim_bo *b = new sim_bo;
    b->bytes.assign(size, 0xa5); /* junk: whatever a kernel reads must have been written */
    return b;
}
int xrtBOFree(xrtBufferHandle b)
{
    delete (sim_bo *)b;
    return 0;
}
int xrtBOWrite(xrtBufferHandle b, const void *src, size_t size, size_t seek)
{
    sim_bo *bo = (sim_bo *)b;
    if (seek + size > bo->bytes.size())
        return -EINVAL;
    std::memcpy(bo->bytes.data() + seek, src, size);
    return 0;
}
int xrtBORead(xrtBufferHandle b, void *dst, size_t size, size_t skip)
{
    sim_bo *bo = (sim_bo *)b;
    if (skip + size > bo->bytes.size())
        return -EINVAL;
    std::memcpy(dst, bo->bytes.data() + skip, size);
    return 0;
}
int xrtBOSync(xrtBufferHandle b, enum xclBOSyncDirection, size_t size, size_t offset)
{
    return offset + size <= ((sim_bo *)b)->bytes.size() ? 0 : -EINVAL;
}
xrtRunHandle xrtRunOpen(xrtKernelHandle k)
{
    sim_run *r = new sim_run;
    r->k = (sim_kernel *)k;
    r->args.resize(r->k->desc->n_args);
    g_runs.push_back(r);
    return r;
}
int xrtRunSetArg(xrtRunHandle h, int index, ...)
{
    sim_run *r = (sim_run *)h;
    if (index < 0 || index >= (int)r->args.size())
        return -EINVAL;
    va_list ap;
    va_start(ap, index);
    if (r->k->desc->args[index].kind == FNRT_XRT_ARG_MEM)
        r->args[index].bo = (sim_bo *)va_arg(ap, xrtBufferHandle);
    else
        r->args[index].u = va_arg(ap, uint32_t);
    va_end(ap);
    return 0;
}
int xrtRunStart(xrtRunHandle h)
{
    ((sim_run *)h)->started = true;
    g_n_launches++;
    return 0;
}
enum ert_cmd_state xrtRunWait(xrtRunHandle h)
{
    execute_started();
    return ((sim_run *)h)->done ? ERT_CMD_STATE_COMPLETED : ERT_CMD_STATE_ERROR;
}
int xrtRunClose(xrtRunHandle h)
{
    for (size_t i = 0; i < g_runs.size(); i++)
        if (g_runs[i] == h)
            g_runs.erase(g_runs.begin() + (long)i);
    delete (sim_run *)h;
    return 0;
}

} // extern "C"

/* ---- the test ---- */

static std::vector<float> infer(fnrt_model *m, const char *backend, const char *device,
                                const std::vector<float> &rgb, bool *ok)
{
    fnrt_session *s = NULL;
    fnrt_session_opts opts;
    std::memset(&opts, 0, sizeof opts);
    opts.tile_rows = -1;
    std::vector<float> out(rgb.size());
    *ok = fnrt_session_create_ex(m, backend, device, &opts, &s) == FNRT_OK &&
          fnrt_session_infer(s, rgb.data(), out.data(), NULL) == FNRT_OK;
    if (!*ok)
        std::printf("  %s: %s\n", backend, fnrt_last_error());
    fnrt_session_free(s);
    return out;
}

static void run_model(const std::string &dir, const char *model_file, const std::string &xclbin)
{
    const char *data = std::getenv("FNRT_TEST_DATA");
    std::string name = std::string(model_file) + " on the simulated card [" +
                       (FNRT_HLS_PREC == 0 ? "fp32" : FNRT_HLS_PREC == 1 ? "ap_fixed<16>"
                                                                          : "ap_fixed<8>") +
                       ", P=" + std::to_string(FNRT_HLS_P) + "]";
    fnrt_model *m = NULL;
    if (!check(name + " model loads",
               fnrt_model_load((std::string(data) + "/" + model_file).c_str(), &m) == FNRT_OK,
               fnrt_last_error()))
        return;
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    std::vector<float> rgb((size_t)3 * info.input_size * info.input_size);
    rng r(3);
    r.fill(rgb, 0.0f, 1.0f);
    bool ok_ref, ok_xrt;
    int launches0 = g_n_launches;
    std::vector<float> ref = infer(m, "ref", NULL, rgb, &ok_ref);
    std::vector<float> got = infer(m, "xrt", xclbin.c_str(), rgb, &ok_xrt);
    fnrt_model_free(m);
    if (!check(name + " runs on ref and xrt", ok_ref && ok_xrt))
        return;
    check(name + " launched CUs", g_n_launches > launches0,
          std::to_string(g_n_launches - launches0) + " CU runs");
    size_t plane = got.size() / 3;
    double sum = 0.0, worst = 0.0;
    for (size_t p = 0; p < plane; p++) {
        double dot = 0.0, la = 0.0, lb = 0.0;
        for (int c = 0; c < 3; c++) {
            dot += (double)got[c * plane + p] * ref[c * plane + p];
            la += (double)got[c * plane + p] * got[c * plane + p];
            lb += (double)ref[c * plane + p] * ref[c * plane + p];
        }
        double cs = dot / std::sqrt(la * lb + 1e-30);
        double deg = std::acos(cs > 1.0 ? 1.0 : cs < -1.0 ? -1.0 : cs) * 180.0 / M_PI;
        deg = deg != deg ? 180.0 : deg;
        sum += deg;
        worst = std::fmax(worst, deg);
    }
    double mean = sum / (double)plane;
    char buf[160];
    std::snprintf(buf, sizeof buf, "normals vs ref backend: mean %.4f deg, max %.4f deg", mean,
                  worst);
    if (FNRT_HLS_PREC == 2)
        std::printf("INFO %s: %s\n", name.c_str(), buf);
    else
        check(name, FNRT_HLS_PREC == 0 ? mean <= 0.01 && worst <= 0.5 : mean <= 0.5, buf);
    (void)dir;
}

int main()
{
    const char *mk = std::getenv("FNRT_MKXCLBIN"), *data = std::getenv("FNRT_TEST_DATA");
    if (!mk || !data) {
        std::printf("SKIP: FNRT_MKXCLBIN / FNRT_TEST_DATA not set\n");
        return 77;
    }
    char tmpl[] = "/tmp/fnrt-xrt-csim-XXXXXX";
    if (!mkdtemp(tmpl))
        return 1;
    std::string dir = tmpl, xclbin = dir + "/sim.xclbin";
    std::string cmd = std::string("'") + mk + "' -o '" + xclbin + "' --banks 3 --precision " +
                      (FNRT_HLS_PREC == 0 ? "fp32" : FNRT_HLS_PREC == 1 ? "int16" : "int8") +
                      " --lanes " + std::to_string(FNRT_HLS_P) + " > /dev/null";
    if (!check("fnrt-mkxclbin writes the xclbin and its sidecar", std::system(cmd.c_str()) == 0))
        return finish("test_xrt_csim");
    run_model(dir, "fnr2r-tiny.safetensors", xclbin);
    run_model(dir, "crossmodal-tiny.safetensors", xclbin);
    std::remove(xclbin.c_str());
    std::remove((xclbin + ".json").c_str());
    rmdir(dir.c_str());
    return finish("test_xrt_csim");
}
