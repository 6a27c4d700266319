/* Cross-modal face normals with deactivable skip connections (Abrevaya, Boukhayma, Torr,
 * Boyer, CVPR 2020) as an fnrt graph.  The only place that knows this topology.
 *
 * Facts of the published code (ResNetUNet, tester.py), restated; tensor names are the
 * published state_dict keys:
 *  image encoder  torchvision ResNet-18 on RGB in [0,1] (no normalisation):
 *     layer0   conv 7x7 s2 p3 (no bias) + BN + ReLU                 "layer0.0", "layer0.1"
 *     layer1   max-pool 3x3 s2 p1, then BasicBlocks                  "layer1.1.<b>.*"
 *     layer2..4  BasicBlocks, the first with stride 2 in conv1 and a 1x1 conv + BN
 *              downsample shortcut                                  "layerN.<b>.*"
 *     BasicBlock: relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3x3 convs, no bias.
 *  full-resolution branch  relu(conv3x3), relu(conv3x3)   "conv_original_size0/1.0"
 *  projections    relu(conv1x1) of layer0..3 ("layerN_1x1.0") and of layer4 ("layer4_1x1.0",
 *                 which widens 512 -> 768 at the published size)
 *  normal decoder x = layer4_1x1(layer4); four times: bilinear x2 (align_corners=True),
 *                 max-merge with the projected skip, relu(conv3x3) ("conv_up3..0.0"); then x2,
 *                 max-merge with the full-resolution branch, relu(conv3x3)
 *                 ("conv_original_size2.0"); 1x1 conv to 3 channels ("conv_last"); the
 *                 published test script L2-normalises each pixel.
 *  max-merge      y = concat(x[:K], max(x[K:], skip)), K = C - channels(skip).  The published
 *                 code writes K as constants (512, 512, 256, 256, 128); at every published
 *                 step they equal C - channels(skip), so fnrt derives K from the tensors and
 *                 reduced-width models work through the same code.
 *
 * Modes (the graph differs per mode, so one is built per model load):
 *  "image"      image -> normals, every skip active (the published im-input path).
 *  "normal-ae"  the published norm-input path: the input is a normal map, encoded as the PNG
 *               fnrt writes, v = (n+1)/2 in [0,1], decoded here to n = 2v - 1 by a constant
 *               1x1 convolution; the second encoder copy ("layer0_2" .. "layer4_2", same
 *               structure) encodes it, "layer4_1x1" projects its output and the SAME normal
 *               decoder runs with every max-merge deactivated (the op is left out, x passes on
 *               unchanged: this is what "deactivated skip" means), including the merge with
 *               the full-resolution branch.  The published code also runs the _2 copies of
 *               the full-resolution branch in this path but never uses their output; fnrt
 *               skips them, and needs none of layer0..3_1x1.
 *  The image-reconstruction decoder of the checkpoint ("conv_up*_2", "conv_original_size*_2",
 *  "conv_last_2") belongs to neither path; the converter leaves it out.
 * Every width is read from the tensors; the number of BasicBlocks per stage is the number
 * the file holds (ResNet-18: two). */
#include "core/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* conv (+ folded BN) with a published kernel size k (checked) as one graph op. */
static int conv(fnrt_model *m, const char *opname, int x, const char *prefix, const char *bn_prefix,
                int k, int stride, int pad, fnrt_act act_out)
{
    int w, b;
    if (m->graph.status != FNRT_OK ||
        fnrt_model_conv_params(m, prefix, bn_prefix, 0, &w, &b) != FNRT_OK)
        return -1;
    const fnrt_shape *ws = &m->graph.tensors[w].shape;
    if (ws->dims[2] != k || ws->dims[3] != k) {
        m->graph.status = fnrt_error(
            FNRT_ERR_MODEL, "model %s: tensor '%s.weight' has a %lldx%lld kernel, expected %dx%d",
            m->path, prefix, (long long)ws->dims[2], (long long)ws->dims[3], k, k);
        return -1;
    }
    return fnrt_graph_conv(&m->graph, opname, x, w, b, -1, stride, pad, FNRT_ACT_NONE, act_out);
}

/* One BasicBlock at prefix ("layer2.0", "layer1_2.1.1", ...); its ops are named after it. */
static int basic_block(fnrt_model *m, int x, const char *prefix, int stride)
{
    char name[FNRT_NAME_MAX], p[FNRT_NAME_MAX], bn[FNRT_NAME_MAX];
    snprintf(p, sizeof p, "%s.conv1", prefix);
    snprintf(bn, sizeof bn, "%s.bn1", prefix);
    int y = conv(m, p, x, p, bn, 3, stride, 1, FNRT_ACT_RELU);
    snprintf(p, sizeof p, "%s.conv2", prefix);
    snprintf(bn, sizeof bn, "%s.bn2", prefix);
    y = conv(m, p, y, p, bn, 3, 1, 1, FNRT_ACT_NONE);
    int shortcut = x;
    snprintf(name, sizeof name, "%s.downsample.0.weight", prefix);
    if (fnrt_model_has(m, name)) {
        snprintf(name, sizeof name, "%s.downsample", prefix);
        snprintf(p, sizeof p, "%s.downsample.0", prefix);
        snprintf(bn, sizeof bn, "%s.downsample.1", prefix);
        shortcut = conv(m, name, x, p, bn, 1, stride, 0, FNRT_ACT_NONE);
    } else if (stride != 1 && m->graph.status == FNRT_OK) {
        m->graph.status = fnrt_error(FNRT_ERR_MODEL,
                                     "model %s: tensor '%s.downsample.0.weight' "
                                     "is missing (the stride-2 block needs its shortcut)",
                                     m->path, prefix);
        return -1;
    }
    return fnrt_graph_add(&m->graph, prefix, y, shortcut, FNRT_ACT_RELU);
}

/* The BasicBlocks "<stage>.0", "<stage>.1", ... that the file holds (at least one). */
static int res_stage(fnrt_model *m, int x, const char *stage, int first_stride)
{
    char prefix[32], name[FNRT_NAME_MAX];
    for (int b = 0;; b++) {
        snprintf(prefix, sizeof prefix, "%s.%d", stage, b);
        snprintf(name, sizeof name, "%s.conv1.weight", prefix);
        if (b > 0 && !fnrt_model_has(m, name))
            break;
        x = basic_block(m, x, prefix, b == 0 ? first_stride : 1);
        if (m->graph.status != FNRT_OK)
            return -1;
    }
    return x;
}

/* ResNet-18 encoder; suffix "" (image encoder) or "_2" (normal encoder copy).  feat[0..4]
 * receive the outputs of layer0..layer4. */
static void encoder(fnrt_model *m, int x, const char *suffix, int feat[5])
{
    char name[16], p[16], bn[16]; /* "layer1_2.1" at most */
    snprintf(name, sizeof name, "layer0%s", suffix);
    snprintf(p, sizeof p, "layer0%s.0", suffix);
    snprintf(bn, sizeof bn, "layer0%s.1", suffix);
    feat[0] = conv(m, name, x, p, bn, 7, 2, 3, FNRT_ACT_RELU);
    snprintf(name, sizeof name, "layer1%s.0", suffix);
    x = fnrt_graph_maxpool(&m->graph, name, feat[0], 3, 2, 1);
    snprintf(name, sizeof name, "layer1%s.1", suffix);
    feat[1] = res_stage(m, x, name, 1);
    for (int n = 2; n <= 4; n++) {
        snprintf(name, sizeof name, "layer%d%s", n, suffix);
        feat[n] = res_stage(m, feat[n - 1], name, 2);
    }
}

/* Normal decoder on the layer4 features; skip[0..3] are the encoder outputs whose 1x1
 * projections merge in (NULL: every skip deactivated), fullres the full-resolution branch
 * (-1 with skip NULL). */
static int decoder(fnrt_model *m, int layer4, const int *skip, int fullres)
{
    fnrt_graph *g = &m->graph;
    char name[FNRT_NAME_MAX], p[FNRT_NAME_MAX];
    int x = conv(m, "layer4_1x1", layer4, "layer4_1x1.0", NULL, 1, 1, 0, FNRT_ACT_RELU);
    for (int n = 3; n >= 0; n--) {
        snprintf(name, sizeof name, "up%d", n);
        x = fnrt_graph_upsample2x(g, name, x, 1);
        if (skip) {
            snprintf(name, sizeof name, "layer%d_1x1", n);
            snprintf(p, sizeof p, "layer%d_1x1.0", n);
            int s = conv(m, name, skip[n], p, NULL, 1, 1, 0, FNRT_ACT_RELU);
            snprintf(name, sizeof name, "merge%d", n);
            x = fnrt_graph_maxmerge(g, name, x, s);
        }
        snprintf(name, sizeof name, "conv_up%d", n);
        snprintf(p, sizeof p, "conv_up%d.0", n);
        x = conv(m, name, x, p, NULL, 3, 1, 1, FNRT_ACT_RELU);
    }
    x = fnrt_graph_upsample2x(g, "up_original", x, 1);
    if (skip)
        x = fnrt_graph_maxmerge(g, "merge_original", x, fullres);
    x = conv(m, "conv_original_size2", x, "conv_original_size2.0", NULL, 3, 1, 1, FNRT_ACT_RELU);
    x = conv(m, "conv_last", x, "conv_last", NULL, 1, 1, 0, FNRT_ACT_NONE);
    if (g->status == FNRT_OK && g->tensors[x].shape.dims[0] != 3)
        g->status =
            fnrt_error(FNRT_ERR_MODEL, "model %s: conv_last must have 3 outputs, it has %lld",
                       m->path, (long long)g->tensors[x].shape.dims[0]);
    return fnrt_graph_l2norm(g, "normals", x, 0, 1e-12f);
}

/* n = 2v - 1 on a (3,H,W) input as a constant 1x1 convolution (weight 2*I, bias -1). */
static int decode_normal_map(fnrt_model *m, int x)
{
    float *w = calloc(9, sizeof(float)), *b = malloc(3 * sizeof(float));
    if (!w || !b) {
        free(w);
        free(b);
        if (m->graph.status == FNRT_OK)
            m->graph.status = fnrt_error(FNRT_ERR_NOMEM, "model %s: out of memory", m->path);
        return -1;
    }
    for (int c = 0; c < 3; c++) {
        w[c * 3 + c] = 2.0f;
        b[c] = -1.0f;
    }
    fnrt_shape ws = {4, {3, 3, 1, 1}}, bs = {1, {3, 0, 0, 0}};
    int wid = fnrt_graph_param(&m->graph, "normal_decode.weight", &ws, w);
    int bid = fnrt_graph_param(&m->graph, "normal_decode.bias", &bs, b);
    return fnrt_graph_conv(&m->graph, "normal_decode", x, wid, bid, -1, 1, 0, FNRT_ACT_NONE,
                           FNRT_ACT_NONE);
}

fnrt_status fnrt_crossmodal_build(fnrt_model *m)
{
    fnrt_graph *g = &m->graph;
    /* fully convolutional; five stride-2 steps need a multiple of 32: the published 256 */
    const int size = 256;
    fnrt_shape in = {3, {3, size, size, 0}};
    int feat[5];

    g->input_size = size;
    g->input = fnrt_graph_input(g, "input", &in);
    if (strcmp(m->mode, "normal-ae") == 0) {
        if (!fnrt_model_has(m, "layer0_2.0.weight"))
            return g->status = fnrt_error(FNRT_ERR_MODEL,
                                          "model %s: no normal encoder (tensors layer0_2.* .. "
                                          "layer4_2.*), so no normal-ae mode",
                                          m->path);
        fnrt_graph_stage_begin(g, "encoder");
        int n = decode_normal_map(m, g->input);
        encoder(m, n, "_2", feat);
        fnrt_graph_stage_end(g);
        fnrt_graph_stage_begin(g, "decoder");
        g->out_normals = decoder(m, feat[4], NULL, -1);
        fnrt_graph_stage_end(g);
    } else {
        fnrt_graph_stage_begin(g, "fullres");
        int f = conv(m, "conv_original_size0", g->input, "conv_original_size0.0", NULL, 3, 1, 1,
                     FNRT_ACT_RELU);
        f = conv(m, "conv_original_size1", f, "conv_original_size1.0", NULL, 3, 1, 1,
                 FNRT_ACT_RELU);
        fnrt_graph_stage_end(g);
        fnrt_graph_stage_begin(g, "encoder");
        encoder(m, g->input, "", feat);
        fnrt_graph_stage_end(g);
        fnrt_graph_stage_begin(g, "decoder");
        g->out_normals = decoder(m, feat[4], feat, f);
        fnrt_graph_stage_end(g);
    }
    return g->status;
}
