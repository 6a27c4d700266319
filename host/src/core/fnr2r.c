/* FNR2R ("Face Normal Estimation from Rags to Riches") as an fnrt graph.
 *
 * Facts of the published inference code, restated:
 *  coarse  UShapedNet(inputdim=1, d) on gray = mean(R,G,B): conv1..8 (k4 s2 p1; the input of
 *          conv2..8 is LeakyReLU(0.2) of the previous output; BN after conv2..7), then
 *          deconv1..8 (k4 s2 p1, input ReLU, BN after deconv1..7), deconvN (N<8) output
 *          concatenated with the mirror encoder output, tanh.  The published code keeps
 *          dropout(0.5) active after deconv1..3 at test time; fnrt uses its expectation, the
 *          identity (no dropout, no rescale), so results are deterministic.
 *  exemplar = per-pixel L2 normalisation, then (x,y,z) -> (y,-x,z).
 *  guide   NormalEncoder_FPN256 on the exemplar -> style vector (global average pool, 1x1).
 *  encoder VGG13-BN features block1..5 on the RGB image, max-pool, double 3x3 conv.
 *  decoder five up-blocks (bilinear x2, concat with skip[:, ::4], 1x1 + 3x3 conv with
 *          LeakyReLU(0.2), modulated/demodulated 3x3 conv (SDFT), + 1x1 projection of the
 *          upsampled input), 1x1 head, tanh, L2 normalisation.
 * Every width is read from the tensors, so reduced-width models use the same code. */
#include "core/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define R "refiner."

/* conv (+ folded BN) as a graph op; k is the kernel size the published layer has
 * (k4 s2 p1, k3 p1, k5 s2 p2 or k1 p0: pad = k/2 except k4). */
static int conv(fnrt_model *m, const char *opname, int x, const char *prefix,
                const char *bn_prefix, int k, int stride, fnrt_act act_in, fnrt_act act_out,
                int res)
{
    int w, b;
    if (m->graph.status != FNRT_OK ||
        fnrt_model_conv_params(m, prefix, bn_prefix, 0, &w, &b) != FNRT_OK)
        return -1;
    const fnrt_shape *ws = &m->graph.tensors[w].shape;
    if (ws->dims[2] != k || ws->dims[3] != k) {
        m->graph.status = fnrt_error(FNRT_ERR_MODEL,
                                     "model %s: tensor '%s.weight' has a %lldx%lld kernel, "
                                     "expected %dx%d", m->path, prefix,
                                     (long long)ws->dims[2], (long long)ws->dims[3], k, k);
        return -1;
    }
    return fnrt_graph_conv(&m->graph, opname, x, w, b, res, stride, k == 4 ? 1 : k / 2, act_in,
                           act_out);
}

static int deconv(fnrt_model *m, const char *opname, int x, const char *prefix,
                  const char *bn_prefix, fnrt_act act_out)
{
    int w, b;
    if (m->graph.status != FNRT_OK ||
        fnrt_model_conv_params(m, prefix, bn_prefix, 1, &w, &b) != FNRT_OK)
        return -1;
    const fnrt_shape *ws = &m->graph.tensors[w].shape;
    if (ws->dims[2] != 4 || ws->dims[3] != 4) {
        m->graph.status = fnrt_error(FNRT_ERR_MODEL,
                                     "model %s: tensor '%s.weight' has a %lldx%lld kernel, "
                                     "expected 4x4", m->path, prefix,
                                     (long long)ws->dims[2], (long long)ws->dims[3]);
        return -1;
    }
    return fnrt_graph_deconv(&m->graph, opname, x, w, b, 2, 1, FNRT_ACT_RELU, act_out);
}

static int build_coarse(fnrt_model *m, int rgb)
{
    fnrt_graph *g = &m->graph;
    char name[64], prefix[64], bn[64];
    int e[9];

    int x = fnrt_graph_gray(g, "coarse.gray", rgb);
    for (int n = 1; n <= 8; n++) {
        snprintf(name, sizeof name, "coarse.conv%d", n);
        snprintf(bn, sizeof bn, "coarse.conv%d_bn", n);
        e[n] = conv(m, name, n == 1 ? x : e[n - 1], name, (n >= 2 && n <= 7) ? bn : NULL, 4, 2,
                    n == 1 ? FNRT_ACT_NONE : FNRT_ACT_LEAKY, FNRT_ACT_NONE, -1);
    }
    int d = e[8];
    for (int n = 1; n <= 8; n++) {
        snprintf(name, sizeof name, "coarse.deconv%d", n);
        snprintf(prefix, sizeof prefix, "coarse.deconv%d", n);
        snprintf(bn, sizeof bn, "coarse.deconv%d_bn", n);
        d = deconv(m, n == 8 ? "coarse.out" : name, d, prefix, n <= 7 ? bn : NULL,
                   n == 8 ? FNRT_ACT_TANH : FNRT_ACT_NONE);
        if (n <= 7) {
            snprintf(name, sizeof name, "coarse.cat%d", n);
            d = fnrt_graph_concat(g, name, d, e[8 - n], 1);
        }
    }
    if (g->status == FNRT_OK && g->tensors[d].shape.dims[0] != 3)
        g->status = fnrt_error(FNRT_ERR_MODEL, "model %s: coarse.deconv8 must have 3 outputs",
                               m->path);
    return fnrt_graph_l2norm(g, "exemplar", d, 1, 1e-12f);
}

static int build_guide(fnrt_model *m, int exemplar)
{
    fnrt_graph *g = &m->graph;
    char name[64], p1[64], p2[64];
    int x = conv(m, "guide.conv0.0", exemplar, R "NormFeat.conv0.0.main.0", NULL, 3, 1,
                 FNRT_ACT_NONE, FNRT_ACT_RELU, -1);
    x = conv(m, "guide.conv0.1", x, R "NormFeat.conv0.1.main.0", NULL, 3, 1, FNRT_ACT_NONE,
             FNRT_ACT_RELU, -1);
    for (int k = 1; k <= 3; k++) {
        snprintf(name, sizeof name, "guide.conv%d.0", k);
        snprintf(p1, sizeof p1, R "NormFeat.conv%d.0.main.0", k);
        x = conv(m, name, x, p1, NULL, 5, 2, FNRT_ACT_NONE, FNRT_ACT_RELU, -1);
        for (int j = 0; j < 2; j++) {
            snprintf(name, sizeof name, "guide.conv%d.1.%d", k, 3 * j);
            snprintf(p1, sizeof p1, R "NormFeat.conv%d.1.%d", k, 3 * j);
            snprintf(p2, sizeof p2, R "NormFeat.conv%d.1.%d", k, 3 * j + 1);
            x = conv(m, name, x, p1, p2, 3, 1, FNRT_ACT_NONE, FNRT_ACT_RELU, -1);
        }
    }
    x = fnrt_graph_global_avgpool(g, "guide.pool", x);
    return conv(m, "style", x, R "NormFeat.toplayer", NULL, 1, 1, FNRT_ACT_NONE, FNRT_ACT_NONE,
                -1);
}

/* VGG13-BN blocks; block[1..5] receive the skip tensors, returns the bottleneck features. */
static int build_encoder(fnrt_model *m, int rgb, int block[6])
{
    fnrt_graph *g = &m->graph;
    char name[64], p1[64], p2[64];
    int x = rgb;
    for (int n = 1; n <= 5; n++) {
        int base = n == 1 ? 0 : 1; /* block2..5 start with the max-pool */
        if (n > 1) {
            snprintf(name, sizeof name, "refiner.pool%d", n - 1);
            x = fnrt_graph_maxpool(g, name, x, 2, 2, 0);
        }
        for (int j = 0; j < 2; j++) {
            snprintf(name, sizeof name, j ? "refiner.block%d" : "refiner.block%d.0", n);
            snprintf(p1, sizeof p1, R "block%d.%d", n, base + 3 * j);
            snprintf(p2, sizeof p2, R "block%d.%d", n, base + 3 * j + 1);
            x = conv(m, name, x, p1, p2, 3, 1, FNRT_ACT_NONE, FNRT_ACT_RELU, -1);
        }
        block[n] = x;
    }
    x = fnrt_graph_maxpool(g, "refiner.pool5", x, 2, 2, 0);
    x = conv(m, "refiner.bottleneck.0", x, R "conv_bottleneck.0", R "conv_bottleneck.1", 3, 1,
             FNRT_ACT_NONE, FNRT_ACT_RELU, -1);
    return conv(m, "refiner.bottleneck", x, R "conv_bottleneck.3", R "conv_bottleneck.4", 3, 1,
                FNRT_ACT_NONE, FNRT_ACT_RELU, -1);
}

/* The SDFT weight is stored as (1,C,C,3,3); the graph wants (C,C,3,3). */
static int sdft_weight(fnrt_model *m, const char *name)
{
    const fnrt_st_tensor *t = fnrt_safetensors_find(m->st, name);
    float *w = NULL;
    fnrt_shape s;
    if (m->graph.status != FNRT_OK)
        return -1;
    if (t && t->ndim == 5 && t->shape[0] == 1) {
        int64_t ex[5] = {1, t->shape[2], t->shape[2], 3, 3};
        if ((m->graph.status = fnrt_model_tensor(m, name, 5, ex, &w, NULL)) != FNRT_OK)
            return -1;
        s = (fnrt_shape){4, {ex[1], ex[2], 3, 3}};
    } else {
        int64_t ex[4] = {-1, -1, 3, 3};
        if ((m->graph.status = fnrt_model_tensor(m, name, 4, ex, &w, &s)) != FNRT_OK)
            return -1;
        if (s.dims[0] != s.dims[1]) {
            free(w);
            m->graph.status = fnrt_error(FNRT_ERR_MODEL, "model %s: tensor '%s' must be "
                                         "(1,C,C,3,3)", m->path, name);
            return -1;
        }
    }
    return fnrt_graph_param(&m->graph, name, &s, w);
}

static int up_block(fnrt_model *m, int n, int x, int skip, int style)
{
    fnrt_graph *g = &m->graph;
    char name[64], p[64], q[64];
    /* the style-modulated weights first: they depend only on the style, and the
     * full-resolution convs below then form one chain that can run in row bands */
    snprintf(name, sizeof name, "refiner.up%d.style", n);
    snprintf(p, sizeof p, R "up%d.SDFT.modulation", n);
    int s = conv(m, name, style, p, NULL, 1, 1, FNRT_ACT_NONE, FNRT_ACT_NONE, -1);
    snprintf(q, sizeof q, R "up%d.SDFT.weight", n);
    int w = sdft_weight(m, q);
    if (g->status != FNRT_OK)
        return -1;
    int64_t c = g->tensors[w].shape.dims[0];
    snprintf(name, sizeof name, "refiner.up%d.sdft_weight", n);
    int wm = fnrt_graph_modulate(g, name, w, s, (float)(1.0 / sqrt(9.0 * (double)c)), 1e-8f);

    snprintf(name, sizeof name, "refiner.up%d.upsample", n);
    int xc = fnrt_graph_upsample2x(g, name, x, 0);
    snprintf(name, sizeof name, "refiner.up%d.conv_s", n);
    snprintf(p, sizeof p, R "up%d.conv_s", n);
    int xs = conv(m, name, xc, p, NULL, 1, 1, FNRT_ACT_NONE, FNRT_ACT_NONE, -1);
    snprintf(name, sizeof name, "refiner.up%d.cat", n);
    int y = fnrt_graph_concat(g, name, xc, skip, 4);
    snprintf(name, sizeof name, "refiner.up%d.conv_cat.0", n);
    snprintf(p, sizeof p, R "up%d.conv_cat.0", n);
    y = conv(m, name, y, p, NULL, 1, 1, FNRT_ACT_NONE, FNRT_ACT_LEAKY, -1);
    snprintf(name, sizeof name, "refiner.up%d.conv_cat.2", n);
    snprintf(p, sizeof p, R "up%d.conv_cat.2", n);
    y = conv(m, name, y, p, NULL, 3, 1, FNRT_ACT_NONE, FNRT_ACT_LEAKY, -1);
    snprintf(name, sizeof name, "refiner.up%d", n);
    return fnrt_graph_conv(g, name, y, wm, -1, xs, 1, 1, FNRT_ACT_NONE, FNRT_ACT_NONE);
}

fnrt_status fnrt_fnr2r_build(fnrt_model *m)
{
    fnrt_graph *g = &m->graph;
    int block[6];
    const int size = 256; /* the coarse net reduces 256 to 1x1 in eight stride-2 steps */
    fnrt_shape in = {3, {3, size, size, 0}};

    g->input_size = size;
    g->input = fnrt_graph_input(g, "input", &in);

    fnrt_graph_stage_begin(g, "coarse");
    g->out_exemplar = build_coarse(m, g->input);
    fnrt_graph_stage_end(g);

    fnrt_graph_stage_begin(g, "guide");
    int style = build_guide(m, g->out_exemplar);
    fnrt_graph_stage_end(g);

    fnrt_graph_stage_begin(g, "encoder");
    int x = build_encoder(m, g->input, block);
    fnrt_graph_stage_end(g);

    fnrt_graph_stage_begin(g, "decoder");
    for (int n = 1; n <= 5; n++)
        x = up_block(m, n, x, block[6 - n], style);
    x = conv(m, "refiner.out", x, R "conv11", NULL, 1, 1, FNRT_ACT_NONE, FNRT_ACT_TANH, -1);
    if (g->status == FNRT_OK && g->tensors[x].shape.dims[0] != 3)
        g->status = fnrt_error(FNRT_ERR_MODEL, "model %s: refiner.conv11 must have 3 outputs",
                               m->path);
    g->out_normals = fnrt_graph_l2norm(g, "normals", x, 0, 1e-12f);
    fnrt_graph_stage_end(g);
    return g->status;
}
