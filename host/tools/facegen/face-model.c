/* Loading the morphable face model and synthesising meshes from it. */
#include "face-model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

/* Finds a tensor and checks its dtype class and shape; dims[i] < 0 accepts any extent, and
 * the extent found is stored back.  float_ok: F32/F16/BF16 accepted instead of exact dtype. */
static fnrt_status fg_expect(const fnrt_safetensors *st, const char *path, const char *name,
                             fnrt_dtype dtype, int float_ok, int ndim, int64_t *dims,
                             const fnrt_st_tensor **out)
{
    const fnrt_st_tensor *t = fnrt_safetensors_find(st, name);
    if (!t)
        return fnrt_error(FNRT_ERR_MODEL, "face model %s: tensor '%s' is missing", path, name);
    int dtype_ok =
        float_ok ? (t->dtype == FNRT_DT_F32 || t->dtype == FNRT_DT_F16 || t->dtype == FNRT_DT_BF16)
                 : t->dtype == dtype;
    if (!dtype_ok)
        return fnrt_error(FNRT_ERR_MODEL, "face model %s: tensor '%s' has dtype %s, expected %s",
                          path, name, fnrt_dtype_str(t->dtype),
                          float_ok ? "F32/F16/BF16" : fnrt_dtype_str(dtype));
    if (t->ndim != ndim)
        return fnrt_error(FNRT_ERR_MODEL,
                          "face model %s: tensor '%s' has %d dimensions, "
                          "expected %d",
                          path, name, t->ndim, ndim);
    for (int i = 0; i < ndim; i++) {
        if (dims[i] >= 0 && t->shape[i] != dims[i])
            return fnrt_error(FNRT_ERR_MODEL,
                              "face model %s: tensor '%s' dimension %d is %lld, "
                              "expected %lld",
                              path, name, i, (long long)t->shape[i], (long long)dims[i]);
        dims[i] = t->shape[i];
    }
    *out = t;
    return FNRT_OK;
}

static float fg_smoothstep(float e0, float e1, float x)
{
    float t = (x - e0) / (e1 - e0);
    t = t < 0.0f ? 0.0f : (t > 1.0f ? 1.0f : t);
    return t * t * (3.0f - 2.0f * t);
}

/* Index of name in a comma-separated list, -1 if absent. */
static int fg_list_index(const char *list, const char *name)
{
    size_t n = strlen(name);
    int idx = 0;
    const char *p = list;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, name, n) == 0)
            return idx;
        idx++;
        p = comma ? comma + 1 : NULL;
    }
    return -1;
}

/* Per-vertex attributes derived from the neutral mesh: eyeball iris coordinate, lip weight,
 * framing flag, triangle regions. */
static void fg_derive(fnrt_fg_model *m)
{
    const int nv = m->n_verts;
    /* Eyeballs: region-2 vertices split by the side of the face (x >= 0: the face's left
     * eye).  Forward axis: from the eyeball's centroid to its front-most vertex. */
    double c[2][3] = {{0}};
    int cnt[2] = {0, 0};
    int front[2] = {-1, -1};
    for (int v = 0; v < nv; v++) {
        if (m->region[v] != FNRT_FG_REGION_EYE)
            continue;
        const float *p = m->neutral + 3 * v;
        int e = p[0] >= 0.0f ? 0 : 1;
        for (int k = 0; k < 3; k++)
            c[e][k] += p[k];
        cnt[e]++;
        if (front[e] < 0 || p[2] > m->neutral[3 * front[e] + 2])
            front[e] = v;
    }
    float axis[2][3] = {{0, 0, 1}, {0, 0, 1}};
    for (int e = 0; e < 2; e++) {
        if (!cnt[e])
            continue;
        for (int k = 0; k < 3; k++)
            c[e][k] /= cnt[e];
        double d[3], len = 0.0;
        for (int k = 0; k < 3; k++) {
            d[k] = m->neutral[3 * front[e] + k] - c[e][k];
            len += d[k] * d[k];
        }
        len = sqrt(len);
        if (len > 1e-6)
            for (int k = 0; k < 3; k++)
                axis[e][k] = (float)(d[k] / len);
    }
    for (int v = 0; v < nv; v++) {
        const float *p = m->neutral + 3 * v;
        m->eye_cos[v] = -2.0f;
        m->lip[v] = 0.0f;
        m->frame[v] = 0;
        if (m->region[v] == FNRT_FG_REGION_EYE) {
            int e = p[0] >= 0.0f ? 0 : 1;
            double d[3], len = 0.0, dot = 0.0;
            for (int k = 0; k < 3; k++) {
                d[k] = p[k] - c[e][k];
                len += d[k] * d[k];
            }
            len = sqrt(len);
            for (int k = 0; k < 3; k++)
                dot += d[k] * axis[e][k];
            m->eye_cos[v] = len > 1e-9 ? (float)(dot / len) : 0.0f;
        } else if (m->region[v] == FNRT_FG_REGION_FACE) {
            /* Lips, approximated by an ellipse around the mouth of the ICT neutral face
             * (centre x 0, y -3.4 cm; half-widths 2.7 x 1.15 cm; front of the face only).
             * For other models this just tints some patch slightly. */
            float ex = p[0] / 2.7f, ey = (p[1] + 3.4f) / 1.15f;
            float d = sqrtf(ex * ex + ey * ey);
            m->lip[v] = (1.0f - fg_smoothstep(0.55f, 1.0f, d)) * fg_smoothstep(8.0f, 9.0f, p[2]);
            m->frame[v] = 1;
            m->n_frame++;
        }
    }
    if (m->n_frame == 0) { /* no face region: frame on the whole mesh */
        for (int v = 0; v < nv; v++)
            m->frame[v] = 1;
        m->n_frame = nv;
    }
    for (int t = 0; t < m->n_tris; t++) {
        const int32_t *i = m->tris + 3 * t;
        uint8_t r0 = m->region[i[0]], r1 = m->region[i[1]], r2 = m->region[i[2]];
        m->tri_region[t] = (r1 == r2 && r1 != r0) ? r1 : r0;
    }
}

fnrt_status fnrt_fg_model_load(const char *path, fnrt_fg_model **out)
{
    fnrt_status status = FNRT_OK;
    fnrt_safetensors *st = NULL;
    fnrt_fg_model *m = NULL;
    const fnrt_st_tensor *t_neu = NULL, *t_id = NULL, *t_ex = NULL, *t_tri = NULL, *t_reg = NULL;

    if (!path || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_fg_model_load: NULL argument");
    *out = NULL;
    status = fnrt_safetensors_open(path, NULL, &st);
    if (status != FNRT_OK)
        goto cleanup;

    int64_t d_neu[2] = {-1, 3};
    status = fg_expect(st, path, "neutral", FNRT_DT_F32, 1, 2, d_neu, &t_neu);
    if (status != FNRT_OK)
        goto cleanup;
    const int64_t nv = d_neu[0];
    if (nv < 3 || nv > FNRT_FG_MAX_VERTS) {
        status = fnrt_error(FNRT_ERR_MODEL, "face model %s: %lld vertices (3..%d allowed)", path,
                            (long long)nv, FNRT_FG_MAX_VERTS);
        goto cleanup;
    }
    int64_t d_id[3] = {-1, nv, 3}, d_ex[3] = {-1, nv, 3}, d_tri[2] = {-1, 3}, d_reg[1] = {nv};
    if ((status = fg_expect(st, path, "identity", FNRT_DT_F32, 1, 3, d_id, &t_id)) != FNRT_OK ||
        (status = fg_expect(st, path, "expression", FNRT_DT_F32, 1, 3, d_ex, &t_ex)) != FNRT_OK ||
        (status = fg_expect(st, path, "triangles", FNRT_DT_I32, 0, 2, d_tri, &t_tri)) != FNRT_OK ||
        (status = fg_expect(st, path, "region", FNRT_DT_U8, 0, 1, d_reg, &t_reg)) != FNRT_OK)
        goto cleanup;
    if (d_id[0] > FNRT_FG_MAX_MODES || d_ex[0] > FNRT_FG_MAX_MODES) {
        status = fnrt_error(FNRT_ERR_MODEL,
                            "face model %s: %lld identity / %lld expression "
                            "modes (at most %d each)",
                            path, (long long)d_id[0], (long long)d_ex[0], FNRT_FG_MAX_MODES);
        goto cleanup;
    }
    if (d_tri[0] < 1 || d_tri[0] > FNRT_FG_MAX_TRIS) {
        status = fnrt_error(FNRT_ERR_MODEL, "face model %s: %lld triangles (1..%d allowed)", path,
                            (long long)d_tri[0], FNRT_FG_MAX_TRIS);
        goto cleanup;
    }

    m = calloc(1, sizeof *m);
    if (!m) {
        status = fnrt_error(FNRT_ERR_NOMEM, "face model %s: out of memory", path);
        goto cleanup;
    }
    m->n_verts = (int)nv;
    m->n_id = (int)d_id[0];
    m->n_expr = (int)d_ex[0];
    m->n_tris = (int)d_tri[0];
    m->expr_cap_index = -1;
    size_t n_pos = (size_t)nv * 3;
    m->neutral = malloc(n_pos * sizeof(float));
    m->identity = malloc(((size_t)m->n_id * n_pos + 1) * sizeof(float));
    m->expression = malloc(((size_t)m->n_expr * n_pos + 1) * sizeof(float));
    m->tris = malloc((size_t)m->n_tris * 3 * sizeof(int32_t));
    m->region = malloc((size_t)nv);
    m->tri_region = malloc((size_t)m->n_tris);
    m->eye_cos = malloc((size_t)nv * sizeof(float));
    m->lip = malloc((size_t)nv * sizeof(float));
    m->frame = malloc((size_t)nv);
    if (!m->neutral || !m->identity || !m->expression || !m->tris || !m->region || !m->tri_region ||
        !m->eye_cos || !m->lip || !m->frame) {
        status = fnrt_error(FNRT_ERR_NOMEM, "face model %s: out of memory", path);
        goto cleanup;
    }
    if ((status = fnrt_safetensors_read_f32(st, t_neu, m->neutral, n_pos)) != FNRT_OK ||
        (status = fnrt_safetensors_read_f32(st, t_id, m->identity, (size_t)m->n_id * n_pos)) !=
            FNRT_OK ||
        (status = fnrt_safetensors_read_f32(st, t_ex, m->expression, (size_t)m->n_expr * n_pos)) !=
            FNRT_OK)
        goto cleanup;
    for (size_t i = 0; i < n_pos; i++) {
        if (!isfinite(m->neutral[i]) || fabsf(m->neutral[i]) > 1e4f) {
            status = fnrt_error(FNRT_ERR_MODEL,
                                "face model %s: neutral vertex coordinate %zu is "
                                "not finite or beyond 1e4",
                                path, i);
            goto cleanup;
        }
    }
    for (size_t i = 0; i < (size_t)m->n_id * n_pos; i++)
        if (!isfinite(m->identity[i])) {
            status = fnrt_error(FNRT_ERR_MODEL, "face model %s: identity value %zu is not finite",
                                path, i);
            goto cleanup;
        }
    for (size_t i = 0; i < (size_t)m->n_expr * n_pos; i++)
        if (!isfinite(m->expression[i])) {
            status = fnrt_error(FNRT_ERR_MODEL, "face model %s: expression value %zu is not finite",
                                path, i);
            goto cleanup;
        }

    /* I32 and U8 tensors: little-endian bytes inside the file image, copied and checked. */
    const uint8_t *tri_bytes = fnrt_safetensors_data(st, t_tri);
    const uint8_t *reg_bytes = fnrt_safetensors_data(st, t_reg);
    if (!tri_bytes || !reg_bytes || t_tri->end - t_tri->begin != (uint64_t)m->n_tris * 12 ||
        t_reg->end - t_reg->begin != (uint64_t)nv) {
        status =
            fnrt_error(FNRT_ERR_MODEL, "face model %s: triangles/region byte size mismatch", path);
        goto cleanup;
    }
    for (size_t i = 0; i < (size_t)m->n_tris * 3; i++) {
        const uint8_t *b = tri_bytes + 4 * i;
        uint32_t u =
            (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
        int64_t idx = u < 0x80000000u ? (int64_t)u : (int64_t)u - 4294967296LL;
        if (idx < 0 || idx >= nv) {
            status = fnrt_error(FNRT_ERR_MODEL,
                                "face model %s: triangle %zu has vertex index "
                                "%lld outside [0,%lld)",
                                path, i / 3, (long long)idx, (long long)nv);
            goto cleanup;
        }
        m->tris[i] = (int32_t)idx;
    }
    memcpy(m->region, reg_bytes, (size_t)nv);
    for (int64_t v = 0; v < nv; v++)
        if (m->region[v] >= FNRT_FG_N_REGIONS) {
            status = fnrt_error(FNRT_ERR_MODEL,
                                "face model %s: vertex %lld has region %u "
                                "(0 face, 1 head-neck, 2 eyeball allowed)",
                                path, (long long)v, m->region[v]);
            goto cleanup;
        }

    const char *names = fnrt_safetensors_meta(st, "expressions");
    if (names) {
        int j = fg_list_index(names, "jawOpen");
        m->expr_cap_index = j < m->n_expr ? j : -1;
    }
    fg_derive(m);
    *out = m;
    m = NULL;
cleanup:
    fnrt_fg_model_free(m);
    fnrt_safetensors_close(st);
    return status;
}

void fnrt_fg_model_free(fnrt_fg_model *m)
{
    if (!m)
        return;
    free(m->neutral);
    free(m->identity);
    free(m->expression);
    free(m->tris);
    free(m->region);
    free(m->tri_region);
    free(m->eye_cos);
    free(m->lip);
    free(m->frame);
    free(m);
}

static void fg_axpy(float *restrict y, const float *restrict x, float a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

void fnrt_fg_model_mesh(const fnrt_fg_model *m, const float *id_w, const float *expr_w, float *pos)
{
    size_t n = (size_t)m->n_verts * 3;
    memcpy(pos, m->neutral, n * sizeof(float));
    for (int i = 0; i < m->n_id; i++)
        if (id_w && id_w[i] != 0.0f)
            fg_axpy(pos, m->identity + (size_t)i * n, id_w[i], n);
    for (int j = 0; j < m->n_expr; j++)
        if (expr_w && expr_w[j] != 0.0f)
            fg_axpy(pos, m->expression + (size_t)j * n, expr_w[j], n);
}

void fnrt_fg_vertex_normals(const fnrt_fg_model *m, const float *pos, float *nrm)
{
    memset(nrm, 0, (size_t)m->n_verts * 3 * sizeof(float));
    for (int t = 0; t < m->n_tris; t++) {
        const int32_t *i = m->tris + 3 * t;
        const float *a = pos + 3 * i[0], *b = pos + 3 * i[1], *c = pos + 3 * i[2];
        float e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        float e2[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        /* |e1 x e2| = twice the area: the sum is area-weighted */
        float n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                      e1[0] * e2[1] - e1[1] * e2[0]};
        for (int k = 0; k < 3; k++) {
            float *o = nrm + 3 * i[k];
            o[0] += n[0];
            o[1] += n[1];
            o[2] += n[2];
        }
    }
    for (int v = 0; v < m->n_verts; v++) {
        float *o = nrm + 3 * v;
        float len = sqrtf(o[0] * o[0] + o[1] * o[1] + o[2] * o[2]);
        if (len > 1e-20f) {
            o[0] /= len;
            o[1] /= len;
            o[2] /= len;
        } else {
            o[0] = 0.0f;
            o[1] = 0.0f;
            o[2] = 1.0f;
        }
    }
}
