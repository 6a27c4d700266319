/* fnrt-facegen renderer (host/tools/facegen) against an analytic sphere.
 *
 * The test writes its own tiny morphable model -- an icosphere with identity and expression
 * modes, in the same safetensors layout as the face model -- and checks: normals against the
 * sphere's analytic normals along each pixel's perspective ray (frontal and rotated poses),
 * the mask area against the analytic silhouette, no cracks inside the silhouette, identity
 * modes being applied, labels, determinism per (seed, index), the default framing, and the
 * loader's rejection of broken models. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "face-model.h"
#include "render.h"
#include "test-util.h"

#define SPHERE_R 10.0f /* cm */
#define N_ID 2
#define N_EXPR 1

/* ---- icosphere ------------------------------------------------------------------------ */

typedef struct mesh {
    int nv, nt, cap_v, cap_t;
    float *v;
    int32_t *t;
} mesh;

static int mesh_add_vertex(mesh *m, float x, float y, float z)
{
    if (m->nv == m->cap_v) {
        m->cap_v = m->cap_v ? 2 * m->cap_v : 64;
        m->v = realloc(m->v, (size_t)m->cap_v * 3 * sizeof(float));
        ck_assert_ptr_nonnull(m->v);
    }
    float len = sqrtf(x * x + y * y + z * z);
    m->v[3 * m->nv] = SPHERE_R * x / len;
    m->v[3 * m->nv + 1] = SPHERE_R * y / len;
    m->v[3 * m->nv + 2] = SPHERE_R * z / len;
    return m->nv++;
}

static void mesh_add_tri(mesh *m, int a, int b, int c)
{
    if (m->nt == m->cap_t) {
        m->cap_t = m->cap_t ? 2 * m->cap_t : 64;
        m->t = realloc(m->t, (size_t)m->cap_t * 3 * sizeof(int32_t));
        ck_assert_ptr_nonnull(m->t);
    }
    m->t[3 * m->nt] = a;
    m->t[3 * m->nt + 1] = b;
    m->t[3 * m->nt + 2] = c;
    m->nt++;
}

/* Midpoint of edge (a,b), shared between the two triangles of the edge (open addressing). */
static int midpoint(mesh *m, int64_t *keys, int *vals, size_t cap, int a, int b)
{
    int64_t key = a < b ? ((int64_t)a << 32) | b : ((int64_t)b << 32) | a;
    size_t h = (size_t)((uint64_t)key * 0x9E3779B97F4A7C15ull >> 20) % cap;
    while (keys[h] != -1 && keys[h] != key)
        h = (h + 1) % cap;
    if (keys[h] == key)
        return vals[h];
    const float *pa = m->v + 3 * a, *pb = m->v + 3 * b;
    int v = mesh_add_vertex(m, pa[0] + pb[0], pa[1] + pb[1], pa[2] + pb[2]);
    keys[h] = key;
    vals[h] = v;
    return v;
}

static mesh make_icosphere(int levels)
{
    mesh m = {0};
    const float t = (1.0f + sqrtf(5.0f)) / 2.0f;
    const float iv[12][3] = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
                             {0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
                             {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
    const int it[20][3] = {{0, 11, 5}, {0, 5, 1},  {0, 1, 7},   {0, 7, 10}, {0, 10, 11},
                           {1, 5, 9},  {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
                           {3, 9, 4},  {3, 4, 2},  {3, 2, 6},   {3, 6, 8},  {3, 8, 9},
                           {4, 9, 5},  {2, 4, 11}, {6, 2, 10},  {8, 6, 7},  {9, 8, 1}};
    for (int i = 0; i < 12; i++)
        mesh_add_vertex(&m, iv[i][0], iv[i][1], iv[i][2]);
    for (int i = 0; i < 20; i++)
        mesh_add_tri(&m, it[i][0], it[i][1], it[i][2]);
    for (int l = 0; l < levels; l++) {
        mesh next = {0};
        next.v = m.v;
        next.nv = m.nv;
        next.cap_v = m.cap_v;
        size_t cap = (size_t)m.nt * 4 + 17;
        int64_t *keys = malloc(cap * sizeof *keys);
        int *vals = malloc(cap * sizeof *vals);
        ck_assert(keys && vals);
        for (size_t i = 0; i < cap; i++)
            keys[i] = -1;
        for (int i = 0; i < m.nt; i++) {
            int a = m.t[3 * i], b = m.t[3 * i + 1], c = m.t[3 * i + 2];
            int ab = midpoint(&next, keys, vals, cap, a, b);
            int bc = midpoint(&next, keys, vals, cap, b, c);
            int ca = midpoint(&next, keys, vals, cap, c, a);
            mesh_add_tri(&next, a, ab, ca);
            mesh_add_tri(&next, b, bc, ab);
            mesh_add_tri(&next, c, ca, bc);
            mesh_add_tri(&next, ab, bc, ca);
        }
        free(keys);
        free(vals);
        free(m.t);
        m = next;
    }
    /* make every triangle counter-clockwise seen from outside, as the model format says */
    for (int i = 0; i < m.nt; i++) {
        int32_t *tr = m.t + 3 * i;
        const float *a = m.v + 3 * tr[0], *b = m.v + 3 * tr[1], *c = m.v + 3 * tr[2];
        float e1[3] = {b[0] - a[0], b[1] - a[1], b[2] - a[2]};
        float e2[3] = {c[0] - a[0], c[1] - a[1], c[2] - a[2]};
        float n[3] = {e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2],
                      e1[0] * e2[1] - e1[1] * e2[0]};
        if (n[0] * (a[0] + b[0] + c[0]) + n[1] * (a[1] + b[1] + c[1]) +
                n[2] * (a[2] + b[2] + c[2]) <
            0.0f) {
            int32_t s = tr[1];
            tr[1] = tr[2];
            tr[2] = s;
        }
    }
    return m;
}

/* ---- safetensors writer ---------------------------------------------------------------- */

static uint16_t f32_to_f16(float f)
{
    uint32_t x;
    memcpy(&x, &f, 4);
    uint32_t sign = (x >> 16) & 0x8000u;
    int32_t e = (int32_t)((x >> 23) & 0xff) - 127 + 15;
    uint32_t mant = x & 0x7fffffu;
    if (e <= 0)
        return (uint16_t)sign; /* tiny values flush to zero (none of ours matter) */
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00u);
    uint32_t h = sign | ((uint32_t)e << 10) | (mant >> 13);
    if (mant & 0x1000u)
        h++; /* round half up */
    return (uint16_t)h;
}

typedef struct st_entry {
    const char *name, *dtype;
    int ndim;
    int64_t shape[3];
    const void *data;
    size_t n_bytes;
} st_entry;

static void write_safetensors(const char *path, const st_entry *e, int n, const char *meta)
{
    char header[4096];
    size_t off = 0, len = 0;
    len += (size_t)snprintf(header + len, sizeof header - len, "{");
    if (meta)
        len += (size_t)snprintf(header + len, sizeof header - len,
                                "\"__metadata__\":{\"expressions\":\"%s\"},", meta);
    for (int i = 0; i < n; i++) {
        len += (size_t)snprintf(header + len, sizeof header - len,
                                "%s\"%s\":{\"dtype\":\"%s\","
                                "\"shape\":[",
                                i ? "," : "", e[i].name, e[i].dtype);
        for (int d = 0; d < e[i].ndim; d++)
            len += (size_t)snprintf(header + len, sizeof header - len, "%s%lld", d ? "," : "",
                                    (long long)e[i].shape[d]);
        len += (size_t)snprintf(header + len, sizeof header - len, "],\"data_offsets\":[%zu,%zu]}",
                                off, off + e[i].n_bytes);
        off += e[i].n_bytes;
    }
    len += (size_t)snprintf(header + len, sizeof header - len, "}");
    while (len % 8)
        header[len++] = ' ';
    ck_assert_uint_lt(len, sizeof header);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    uint8_t lb[8];
    for (int i = 0; i < 8; i++)
        lb[i] = (uint8_t)((uint64_t)len >> (8 * i));
    ck_assert_uint_eq(fwrite(lb, 1, 8, fp), 8);
    ck_assert_uint_eq(fwrite(header, 1, len, fp), len);
    for (int i = 0; i < n; i++)
        ck_assert_uint_eq(fwrite(e[i].data, 1, e[i].n_bytes, fp), e[i].n_bytes);
    ck_assert_int_eq(fclose(fp), 0);
}

enum { BREAK_NONE, BREAK_NO_REGION, BREAK_BAD_INDEX, BREAK_BAD_SHAPE, BREAK_BAD_REGION };

/* Icosphere model: identity 0 scales the sphere by +10% per unit weight, identity 1 is a
 * bump; expression 0 shifts it along x.  Region: a front cap (z > 0.9 R) is "eyeball". */
static char *write_sphere_model(const char *name, int levels, int breakage)
{
    mesh m = make_icosphere(levels);
    const int nv = m.nv;
    size_t n3 = (size_t)nv * 3;
    uint16_t *id = malloc(N_ID * n3 * sizeof(uint16_t));
    uint16_t *ex = malloc(N_EXPR * n3 * sizeof(uint16_t));
    uint8_t *reg = malloc((size_t)nv);
    uint8_t *tri_le = malloc((size_t)m.nt * 12);
    uint8_t *neu_le = malloc(n3 * 4);
    ck_assert(id && ex && reg && tri_le && neu_le);
    for (int v = 0; v < nv; v++) {
        const float *p = m.v + 3 * v;
        for (int k = 0; k < 3; k++) {
            id[3 * v + k] = f32_to_f16(0.1f * p[k]);
            id[n3 + 3 * v + k] = f32_to_f16(k == 1 ? 0.2f * expf(-p[0] * p[0] / 20.0f) : 0.0f);
            ex[3 * v + k] = f32_to_f16(k == 0 ? 1.0f : 0.0f);
        }
        reg[v] = p[2] > 0.9f * SPHERE_R ? FNRT_FG_REGION_EYE : FNRT_FG_REGION_FACE;
    }
    if (breakage == BREAK_BAD_REGION)
        reg[nv / 2] = 7;
    for (size_t i = 0; i < n3; i++) {
        uint32_t b;
        memcpy(&b, &m.v[i], 4);
        for (int k = 0; k < 4; k++)
            neu_le[4 * i + k] = (uint8_t)(b >> (8 * k));
    }
    for (size_t i = 0; i < (size_t)m.nt * 3; i++) {
        uint32_t b = (uint32_t)m.t[i];
        if (breakage == BREAK_BAD_INDEX && i == 5)
            b = (uint32_t)nv; /* one past the end */
        for (int k = 0; k < 4; k++)
            tri_le[4 * i + k] = (uint8_t)(b >> (8 * k));
    }
    st_entry e[5] = {
        {"neutral", "F32", 2, {nv, 3, 0}, neu_le, n3 * 4},
        {"identity", "F16", 3, {N_ID, nv, 3}, id, N_ID * n3 * 2},
        {"expression", "F16", 3, {N_EXPR, nv, 3}, ex, N_EXPR * n3 * 2},
        {"triangles", "I32", 2, {m.nt, 3, 0}, tri_le, (size_t)m.nt * 12},
        {"region", "U8", 1, {nv, 0, 0}, reg, (size_t)nv},
    };
    if (breakage == BREAK_BAD_SHAPE) { /* [3,V,2]: same byte count, wrong layout */
        e[1].shape[0] = 3;
        e[1].shape[2] = 2;
    }
    char *path = test_tmp_path(name);
    write_safetensors(path, e, breakage == BREAK_NO_REGION ? 4 : 5, "shiftX");
    free(id);
    free(ex);
    free(reg);
    free(tri_le);
    free(neu_le);
    free(m.v);
    free(m.t);
    return path;
}

static fnrt_fg_model *load_sphere(int levels)
{
    char *path = write_sphere_model("sphere.safetensors", levels, BREAK_NONE);
    fnrt_fg_model *m = NULL;
    fnrt_status st = fnrt_fg_model_load(path, &m);
    ck_assert_msg(st == FNRT_OK, "load: %s", fnrt_last_error());
    free(path);
    return m;
}

/* ---- analytic comparison --------------------------------------------------------------- */

typedef struct cmp_result {
    int n_mask, n_analytic, n_both, n_cracks;
    double mean_deg, max_deg;
} cmp_result;

/* Compares the rendered normals/mask with the sphere of radius r centred at model point
 * (0,0,0) (moved to camera space with the output's camera). */
static cmp_result compare_sphere(const fnrt_fg_output *o, float r)
{
    cmp_result res = {0};
    const fnrt_fg_camera *c = &o->camera;
    /* sphere centre in camera space: rot*(0 - centre) + (0,0,-distance) */
    float d[3] = {-c->centre[0], -c->centre[1], -c->centre[2]};
    double C[3] = {c->rot[0] * d[0] + c->rot[1] * d[1] + c->rot[2] * d[2],
                   c->rot[3] * d[0] + c->rot[4] * d[1] + c->rot[5] * d[2],
                   c->rot[6] * d[0] + c->rot[7] * d[1] + c->rot[8] * d[2] - c->distance};
    double sum = 0.0;
    for (int j = 0; j < o->size; j++)
        for (int i = 0; i < o->size; i++) {
            size_t p = (size_t)j * o->size + i;
            double ray[3] = {(i + 0.5 - c->cx) / c->focal, -(j + 0.5 - c->cy) / c->focal, -1.0};
            double rr = ray[0] * ray[0] + ray[1] * ray[1] + ray[2] * ray[2];
            double rc = ray[0] * C[0] + ray[1] * C[1] + ray[2] * C[2];
            double cc = C[0] * C[0] + C[1] * C[1] + C[2] * C[2];
            double disc = rc * rc - rr * (cc - (double)r * r);
            int hit = disc >= 0.0;
            int in_mask = o->mask[p] != FNRT_FG_LABEL_BACKGROUND;
            res.n_mask += in_mask;
            res.n_analytic += hit;
            if (hit && !in_mask) {
                /* angular distance of the ray from the silhouette, in pixels (roughly):
                 * deep inside the disc a missing pixel is a crack */
                double sin_ray = sqrt(1.0 - rc * rc / (rr * cc));
                double sin_rim = (double)r / sqrt(cc);
                if ((sin_rim - sin_ray) * c->focal > 2.0)
                    res.n_cracks++;
            }
            if (!hit || !in_mask)
                continue;
            double t = (rc - sqrt(disc)) / rr;
            double n[3] = {(t * ray[0] - C[0]) / r, (t * ray[1] - C[1]) / r,
                           (t * ray[2] - C[2]) / r};
            const float *g = o->normal + 3 * p;
            double dot = n[0] * g[0] + n[1] * g[1] + n[2] * g[2];
            dot = dot > 1.0 ? 1.0 : (dot < -1.0 ? -1.0 : dot);
            double deg = acos(dot) * 180.0 / M_PI;
            sum += deg;
            res.max_deg = deg > res.max_deg ? deg : res.max_deg;
            res.n_both++;
        }
    res.mean_deg = res.n_both ? sum / res.n_both : 180.0;
    return res;
}

static void neutral_pose(fnrt_fg_sample *s, float yaw_deg, float pitch_deg, float roll_deg)
{
    memset(s->id_w, 0, sizeof s->id_w);
    memset(s->expr_w, 0, sizeof s->expr_w);
    s->yaw = yaw_deg * (float)M_PI / 180.0f;
    s->pitch = pitch_deg * (float)M_PI / 180.0f;
    s->roll = roll_deg * (float)M_PI / 180.0f;
    s->distance = 60.0f;
    s->offset[0] = s->offset[1] = 0.0f;
    s->focal_override = 300.0f;
}

static void check_sphere(float yaw, float pitch, float roll, float id0, float expected_r)
{
    fnrt_fg_model *m = load_sphere(4);
    fnrt_fg_work *w = NULL;
    fnrt_fg_options opt = {128, 0};
    fnrt_fg_sample s;
    fnrt_fg_output o;
    ck_assert_int_eq(fnrt_fg_work_create(m, 128, &w), FNRT_OK);
    fnrt_fg_sample_draw(m, &opt, 42, 0, &s);
    neutral_pose(&s, yaw, pitch, roll);
    s.id_w[0] = id0;
    ck_assert_msg(fnrt_fg_render(w, &s, &o) == FNRT_OK, "render: %s", fnrt_last_error());
    cmp_result r = compare_sphere(&o, expected_r);
    double area_err = fabs((double)r.n_mask - r.n_analytic) / r.n_analytic;
    fprintf(stderr,
            "sphere yaw %.0f pitch %.0f roll %.0f id0 %.1f: mask %d analytic %d (%.2f%%), "
            "mean %.3f deg, max %.3f deg, cracks %d\n",
            yaw, pitch, roll, id0, r.n_mask, r.n_analytic, 100.0 * area_err, r.mean_deg, r.max_deg,
            r.n_cracks);
    ck_assert_int_gt(r.n_analytic, 2000);
    ck_assert_msg(area_err < 0.03, "mask area off by %.2f%%", 100.0 * area_err);
    ck_assert_msg(r.mean_deg < 2.0, "mean angular error %.3f deg", r.mean_deg);
    ck_assert_msg(r.max_deg < 10.0, "max angular error %.3f deg", r.max_deg);
    ck_assert_int_eq(r.n_cracks, 0);
    ck_assert_int_eq(o.n_visible, r.n_mask);
    fnrt_fg_work_free(w);
    fnrt_fg_model_free(m);
}

START_TEST(sphere_frontal)
{
    check_sphere(0, 0, 0, 0.0f, SPHERE_R);
}
END_TEST

START_TEST(sphere_rotated)
{
    /* rotation about the centre leaves a sphere's normal map unchanged, but only if the
     * vertex normals are rotated with the mesh */
    check_sphere(50, -25, 12, 0.0f, SPHERE_R);
}
END_TEST

START_TEST(sphere_identity_mode)
{
    /* identity 0 = +10% radius per unit weight (stored as float16) */
    check_sphere(0, 0, 0, 2.0f, 1.2f * SPHERE_R);
}
END_TEST

START_TEST(normals_unit_and_labels)
{
    fnrt_fg_model *m = load_sphere(3);
    fnrt_fg_work *w = NULL;
    fnrt_fg_options opt = {96, 0};
    fnrt_fg_sample s;
    fnrt_fg_output o;
    ck_assert_int_eq(m->n_id, N_ID);
    ck_assert_int_eq(m->n_expr, N_EXPR);
    ck_assert_int_eq(m->expr_cap_index, -1); /* metadata names only "shiftX" */
    ck_assert_int_eq(fnrt_fg_work_create(m, 96, &w), FNRT_OK);
    for (int idx = 0; idx < 6; idx++) {
        fnrt_fg_sample_draw(m, &opt, 5, (uint64_t)idx, &s);
        ck_assert_int_eq(fnrt_fg_render(w, &s, &o), FNRT_OK);
        int n_in = 0, n_zpos = 0, labels[4] = {0, 0, 0, 0};
        for (int p = 0; p < 96 * 96; p++) {
            const float *n = o.normal + 3 * p;
            double len = sqrt((double)n[0] * n[0] + (double)n[1] * n[1] + (double)n[2] * n[2]);
            ck_assert_uint_le(o.mask[p], 3);
            labels[o.mask[p]]++;
            for (int k = 0; k < 3; k++) {
                float v = o.rgb[k * 96 * 96 + p];
                ck_assert(v >= 0.0f && v <= 1.0f);
            }
            if (o.mask[p] == FNRT_FG_LABEL_BACKGROUND) {
                ck_assert(n[0] == 0.0f && n[1] == 0.0f && n[2] == 0.0f);
                continue;
            }
            n_in++;
            ck_assert_msg(fabs(len - 1.0) < 1e-4, "normal length %f", len);
            n_zpos += n[2] > 0.0f;
        }
        ck_assert_int_gt(n_in, 500);
        ck_assert_msg(n_zpos >= 0.99 * n_in, "%d of %d normals with z > 0", n_zpos, n_in);
        ck_assert_int_eq(labels[FNRT_FG_LABEL_HEAD], 0);
        ck_assert_int_gt(labels[FNRT_FG_LABEL_FACE], 0);
    }
    /* frontal: the "eyeball" cap faces the camera, in the middle */
    opt.debug_frontal = 1;
    fnrt_fg_sample_draw(m, &opt, 5, 0, &s);
    ck_assert_int_eq(fnrt_fg_render(w, &s, &o), FNRT_OK);
    int cx = (int)o.camera.cx, cy = (int)o.camera.cy;
    ck_assert_int_eq(o.mask[cy * 96 + cx], FNRT_FG_LABEL_EYE);
    ck_assert_float_gt(o.normal[3 * (cy * 96 + cx) + 2], 0.99f);
    fnrt_fg_work_free(w);
    fnrt_fg_model_free(m);
}
END_TEST

START_TEST(framing)
{
    /* default framing: the framing box (3rd..97th percentile of the projected vertices)
     * spans frame_frac of the image; the full silhouette is a little larger */
    fnrt_fg_model *m = load_sphere(4);
    fnrt_fg_work *w = NULL;
    fnrt_fg_options opt = {128, 0};
    fnrt_fg_sample s;
    fnrt_fg_output o;
    ck_assert_int_eq(fnrt_fg_work_create(m, 128, &w), FNRT_OK);
    for (int idx = 0; idx < 4; idx++) {
        fnrt_fg_sample_draw(m, &opt, 9, (uint64_t)idx, &s);
        ck_assert_float_ge(s.frame_frac, 0.6f);
        ck_assert_float_le(s.frame_frac, 0.85f);
        ck_assert_int_eq(fnrt_fg_render(w, &s, &o), FNRT_OK);
        int x0 = 128, x1 = -1, y0 = 128, y1 = -1;
        for (int j = 0; j < 128; j++)
            for (int i = 0; i < 128; i++)
                if (o.mask[j * 128 + i]) {
                    x0 = i < x0 ? i : x0;
                    x1 = i > x1 ? i : x1;
                    y0 = j < y0 ? j : y0;
                    y1 = j > y1 ? j : y1;
                }
        float ext = (float)((x1 - x0) > (y1 - y0) ? (x1 - x0) : (y1 - y0)) + 1.0f;
        float frac = ext / 128.0f;
        ck_assert_msg(frac >= s.frame_frac && frac <= s.frame_frac * 1.1f + 0.02f,
                      "silhouette spans %.3f of the image, framing %.3f", frac, s.frame_frac);
        /* centre within the random offset (5%) + a pixel */
        float mx = 0.5f * (x0 + x1 + 1), my = 0.5f * (y0 + y1 + 1);
        ck_assert_float_le(fabsf(mx - 64.0f), 0.05f * 128 + 1.5f);
        ck_assert_float_le(fabsf(my - 64.0f), 0.05f * 128 + 1.5f);
    }
    fnrt_fg_work_free(w);
    fnrt_fg_model_free(m);
}
END_TEST

START_TEST(deterministic)
{
    fnrt_fg_model *m = load_sphere(3);
    fnrt_fg_work *w1 = NULL, *w2 = NULL;
    fnrt_fg_options opt = {64, 0};
    fnrt_fg_sample s1, s2;
    fnrt_fg_output o1, o2;
    const size_t plane = 64 * 64;
    ck_assert_int_eq(fnrt_fg_work_create(m, 64, &w1), FNRT_OK);
    ck_assert_int_eq(fnrt_fg_work_create(m, 64, &w2), FNRT_OK);
    /* the same (seed, index) in another buffer set, after other samples: identical */
    fnrt_fg_sample_draw(m, &opt, 7, 3, &s1);
    ck_assert_int_eq(fnrt_fg_render(w1, &s1, &o1), FNRT_OK);
    for (int i = 0; i < 3; i++) {
        fnrt_fg_sample_draw(m, &opt, 7, (uint64_t)i, &s2);
        ck_assert_int_eq(fnrt_fg_render(w2, &s2, &o2), FNRT_OK);
    }
    fnrt_fg_sample_draw(m, &opt, 7, 3, &s2);
    ck_assert_int_eq(fnrt_fg_render(w2, &s2, &o2), FNRT_OK);
    ck_assert_int_eq(memcmp(o1.rgb, o2.rgb, 3 * plane * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(o1.normal, o2.normal, 3 * plane * sizeof(float)), 0);
    ck_assert_int_eq(memcmp(o1.mask, o2.mask, plane), 0);
    /* another index or another seed: different parameters */
    fnrt_fg_sample_draw(m, &opt, 7, 4, &s2);
    ck_assert_float_ne(s1.yaw, s2.yaw);
    fnrt_fg_sample_draw(m, &opt, 8, 3, &s2);
    ck_assert_float_ne(s1.yaw, s2.yaw);
    fnrt_fg_work_free(w1);
    fnrt_fg_work_free(w2);
    fnrt_fg_model_free(m);
}
END_TEST

START_TEST(bad_models)
{
    const int cases[4] = {BREAK_NO_REGION, BREAK_BAD_INDEX, BREAK_BAD_SHAPE, BREAK_BAD_REGION};
    for (int i = 0; i < 4; i++) {
        char name[32];
        snprintf(name, sizeof name, "bad%d.safetensors", i);
        char *path = write_sphere_model(name, 1, cases[i]);
        static fnrt_fg_model dummy;
        fnrt_fg_model *m = &dummy; /* must be reset to NULL */
        fnrt_status st = fnrt_fg_model_load(path, &m);
        ck_assert_msg(st == FNRT_ERR_MODEL, "case %d: status %d (%s)", i, st, fnrt_last_error());
        ck_assert_ptr_null(m);
        ck_assert(strlen(fnrt_last_error()) > 0);
        free(path);
    }
    fnrt_fg_model *m = NULL;
    char *missing = test_tmp_path("missing.safetensors");
    ck_assert_int_ne(fnrt_fg_model_load(missing, &m), FNRT_OK);
    ck_assert_ptr_null(m);
    free(missing);
    /* not a safetensors file at all */
    char *junk = test_tmp_path("junk.safetensors");
    FILE *fp = fopen(junk, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs("this is not a model", fp);
    fclose(fp);
    ck_assert_int_ne(fnrt_fg_model_load(junk, &m), FNRT_OK);
    ck_assert_ptr_null(m);
    free(junk);
    ck_assert_int_eq(fnrt_fg_model_load(NULL, &m), FNRT_ERR_INVALID_ARG);
}
END_TEST

static Suite *facegen_suite(void)
{
    Suite *s = suite_create("facegen");
    TCase *tc = tcase_create("render");
    tcase_add_checked_fixture(tc, test_tmp_setup, test_tmp_teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sphere_frontal);
    tcase_add_test(tc, sphere_rotated);
    tcase_add_test(tc, sphere_identity_mode);
    tcase_add_test(tc, normals_unit_and_labels);
    tcase_add_test(tc, framing);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, bad_models);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(facegen_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
