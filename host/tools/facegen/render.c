/* Sample parameters and the render pipeline: mesh synthesis, pose and camera, visibility
 * rasters at 1x (normals, mask) and 2x (supersampled RGB), background, degradations. */
#include "render.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "raster.h"
#include "rng.h"

#define FG_DEG (3.14159265358979323846 / 180.0)
#define FG_FRAME_TRIM 0.03 /* framing box: 3rd..97th percentile of the face-region vertices */

struct fnrt_fg_work {
    const fnrt_fg_model *m;
    int size;
    float *pos;               /* n_verts*3 model space */
    float *nrm;               /* n_verts*3 model space */
    float *cam_nrm;           /* n_verts*3 camera space */
    float *screen;            /* n_verts*3 (u, v, 1/depth) at 1x */
    float *screen2;           /* the same at 2x */
    float *albedo;            /* n_verts*3 */
    float *frame_x, *frame_y; /* n_frame projected framing vertices */
    fnrt_fg_raster r1, r2;
    float *rgb;     /* 3*S*S */
    float *normal;  /* S*S*3 */
    float *cover;   /* S*S */
    float *bg;      /* 3*S*S */
    float *scratch; /* 3*S*S */
    uint8_t *mask;  /* S*S */
};

void fnrt_fg_sample_draw(const fnrt_fg_model *m, const fnrt_fg_options *opt, uint64_t seed,
                         uint64_t index, fnrt_fg_sample *s)
{
    fnrt_fg_rng rng;
    memset(s, 0, sizeof *s);
    s->seed = seed;
    s->index = index;
    fnrt_fg_rng_seed(&rng, seed, index);

    for (int i = 0; i < m->n_id; i++)
        s->id_w[i] = (float)fnrt_fg_rng_normal(&rng);
    /* sparse expression: neutral one time in five, else 1..5 random blendshapes */
    int n_pick = fnrt_fg_rng_uniform(&rng) < 0.2 ? 0 : 1 + fnrt_fg_rng_int(&rng, 5);
    for (int k = 0; k < n_pick && m->n_expr > 0; k++) {
        int j = fnrt_fg_rng_int(&rng, m->n_expr);
        float w = (float)fnrt_fg_rng_uniform(&rng);
        if (j == m->expr_cap_index)
            w *= 0.35f; /* no mouth interior in the model: keep the mouth mostly closed */
        s->expr_w[j] = w;
    }
    s->yaw = (float)(fnrt_fg_rng_range(&rng, -60.0, 60.0) * FG_DEG);
    s->pitch = (float)(fnrt_fg_rng_range(&rng, -30.0, 30.0) * FG_DEG);
    s->roll = (float)(fnrt_fg_rng_range(&rng, -15.0, 15.0) * FG_DEG);
    s->distance = (float)fnrt_fg_rng_range(&rng, 50.0, 120.0);
    s->frame_frac = (float)fnrt_fg_rng_range(&rng, 0.60, 0.85);
    s->offset[0] = (float)fnrt_fg_rng_range(&rng, -0.05, 0.05);
    s->offset[1] = (float)fnrt_fg_rng_range(&rng, -0.05, 0.05);
    fnrt_fg_albedo_draw(&rng, &s->albedo);
    fnrt_fg_lighting_draw(&rng, &s->lighting);
    fnrt_fg_background_draw(&rng, &s->background);
    fnrt_fg_degrade_draw(&rng, &s->degrade);

    if (opt && opt->debug_frontal) {
        memset(s->id_w, 0, sizeof s->id_w);
        memset(s->expr_w, 0, sizeof s->expr_w);
        s->yaw = s->pitch = s->roll = 0.0f;
        s->offset[0] = s->offset[1] = 0.0f;
    }
}

fnrt_status fnrt_fg_work_create(const fnrt_fg_model *m, int size, fnrt_fg_work **out)
{
    fnrt_status status = FNRT_OK;
    if (!m || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_fg_work_create: NULL argument");
    *out = NULL;
    if (size < FNRT_FG_MIN_SIZE || size > FNRT_FG_MAX_SIZE)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "image size %d outside [%d,%d]", size,
                          FNRT_FG_MIN_SIZE, FNRT_FG_MAX_SIZE);
    fnrt_fg_work *w = calloc(1, sizeof *w);
    if (!w)
        return fnrt_error(FNRT_ERR_NOMEM, "facegen work buffers: out of memory");
    w->m = m;
    w->size = size;
    size_t nv3 = (size_t)m->n_verts * 3, plane = (size_t)size * (size_t)size;
    w->pos = malloc(nv3 * sizeof(float));
    w->nrm = malloc(nv3 * sizeof(float));
    w->cam_nrm = malloc(nv3 * sizeof(float));
    w->screen = malloc(nv3 * sizeof(float));
    w->screen2 = malloc(nv3 * sizeof(float));
    w->albedo = malloc(nv3 * sizeof(float));
    w->frame_x = malloc((size_t)m->n_frame * sizeof(float));
    w->frame_y = malloc((size_t)m->n_frame * sizeof(float));
    w->rgb = malloc(3 * plane * sizeof(float));
    w->normal = malloc(3 * plane * sizeof(float));
    w->cover = malloc(plane * sizeof(float));
    w->bg = malloc(3 * plane * sizeof(float));
    w->scratch = malloc(3 * plane * sizeof(float));
    w->mask = malloc(plane);
    if (!w->pos || !w->nrm || !w->cam_nrm || !w->screen || !w->screen2 || !w->albedo ||
        !w->frame_x || !w->frame_y || !w->rgb || !w->normal || !w->cover || !w->bg || !w->scratch ||
        !w->mask) {
        status = fnrt_error(FNRT_ERR_NOMEM, "facegen work buffers: out of memory");
        goto cleanup;
    }
    if ((status = fnrt_fg_raster_init(&w->r1, size, size)) != FNRT_OK ||
        (status = fnrt_fg_raster_init(&w->r2, 2 * size, 2 * size)) != FNRT_OK)
        goto cleanup;
    *out = w;
    w = NULL;
cleanup:
    fnrt_fg_work_free(w);
    return status;
}

void fnrt_fg_work_free(fnrt_fg_work *w)
{
    if (!w)
        return;
    free(w->pos);
    free(w->nrm);
    free(w->cam_nrm);
    free(w->screen);
    free(w->screen2);
    free(w->albedo);
    free(w->frame_x);
    free(w->frame_y);
    free(w->rgb);
    free(w->normal);
    free(w->cover);
    free(w->bg);
    free(w->scratch);
    free(w->mask);
    fnrt_fg_raster_release(&w->r1);
    fnrt_fg_raster_release(&w->r2);
    free(w);
}

/* k-th smallest of a[0..n) (reorders a). */
static float fg_select(float *a, int n, int k)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) {
        float pivot = a[lo + (hi - lo) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < pivot)
                i++;
            while (a[j] > pivot)
                j--;
            if (i <= j) {
                float t = a[i];
                a[i] = a[j];
                a[j] = t;
                i++;
                j--;
            }
        }
        if (k <= j)
            hi = j;
        else if (k >= i)
            lo = i;
        else
            return a[k];
    }
    return a[k];
}

/* rot = Rz(roll) * Rx(pitch) * Ry(yaw), row-major. */
static void fg_rotation(float yaw, float pitch, float roll, float r[9])
{
    float cy = cosf(yaw), sy = sinf(yaw), cp = cosf(pitch), sp = sinf(pitch), cr = cosf(roll),
          sr = sinf(roll);
    float ry[9] = {cy, 0, sy, 0, 1, 0, -sy, 0, cy};
    float rx[9] = {1, 0, 0, 0, cp, -sp, 0, sp, cp};
    float rz[9] = {cr, -sr, 0, sr, cr, 0, 0, 0, 1};
    float t[9];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            t[3 * i + j] =
                rx[3 * i] * ry[j] + rx[3 * i + 1] * ry[3 + j] + rx[3 * i + 2] * ry[6 + j];
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            r[3 * i + j] = rz[3 * i] * t[j] + rz[3 * i + 1] * t[3 + j] + rz[3 * i + 2] * t[6 + j];
}

static void fg_mat_vec(const float r[9], const float v[3], float o[3])
{
    o[0] = r[0] * v[0] + r[1] * v[1] + r[2] * v[2];
    o[1] = r[3] * v[0] + r[4] * v[1] + r[5] * v[2];
    o[2] = r[6] * v[0] + r[7] * v[1] + r[8] * v[2];
}

void fnrt_fg_project(const fnrt_fg_camera *c, const float p[3], float *u, float *v)
{
    float d[3] = {p[0] - c->centre[0], p[1] - c->centre[1], p[2] - c->centre[2]}, q[3];
    fg_mat_vec(c->rot, d, q);
    q[2] -= c->distance;
    *u = c->cx + c->focal * q[0] / -q[2];
    *v = c->cy - c->focal * q[1] / -q[2];
}

/* Pose, camera-space vertices and the framing that fixes the intrinsics. */
static fnrt_status fg_setup_camera(fnrt_fg_work *w, const fnrt_fg_sample *s, fnrt_fg_camera *cam)
{
    const fnrt_fg_model *m = w->m;
    const int nv = m->n_verts;
    const float S = (float)w->size;
    float lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
    for (int v = 0; v < nv; v++)
        for (int k = 0; k < 3; k++) {
            float x = w->pos[3 * v + k];
            lo[k] = x < lo[k] ? x : lo[k];
            hi[k] = x > hi[k] ? x : hi[k];
        }
    for (int k = 0; k < 3; k++)
        cam->centre[k] = 0.5f * (lo[k] + hi[k]);
    cam->distance = s->distance;
    fg_rotation(s->yaw, s->pitch, s->roll, cam->rot);

    /* camera-space positions (into screen for now), normals, framing projections */
    int nf = 0;
    for (int v = 0; v < nv; v++) {
        float d[3] = {w->pos[3 * v] - cam->centre[0], w->pos[3 * v + 1] - cam->centre[1],
                      w->pos[3 * v + 2] - cam->centre[2]};
        float *p = w->screen + 3 * v;
        fg_mat_vec(cam->rot, d, p);
        p[2] -= s->distance;
        fg_mat_vec(cam->rot, w->nrm + 3 * v, w->cam_nrm + 3 * v);
        if (!(p[2] < -1e-3f))
            return fnrt_error(FNRT_ERR_INVALID_ARG,
                              "sample %llu: vertex %d is behind the camera "
                              "(distance %.1f cm too small for the mesh)",
                              (unsigned long long)s->index, v, s->distance);
        if (m->frame[v]) {
            w->frame_x[nf] = p[0] / -p[2];
            w->frame_y[nf] = p[1] / -p[2];
            nf++;
        }
    }

    if (s->focal_override > 0.0f) {
        cam->focal = s->focal_override;
        cam->cx = 0.5f * S + s->offset[0] * S;
        cam->cy = 0.5f * S + s->offset[1] * S;
    } else {
        int k_lo = (int)(FG_FRAME_TRIM * (nf - 1)), k_hi = nf - 1 - k_lo;
        float x0 = fg_select(w->frame_x, nf, k_lo), x1 = fg_select(w->frame_x, nf, k_hi);
        float y0 = fg_select(w->frame_y, nf, k_lo), y1 = fg_select(w->frame_y, nf, k_hi);
        float ext = (x1 - x0) > (y1 - y0) ? (x1 - x0) : (y1 - y0);
        if (!(ext > 1e-6f))
            return fnrt_error(FNRT_ERR_INVALID_ARG, "sample %llu: degenerate framing box",
                              (unsigned long long)s->index);
        cam->focal = s->frame_frac * S / ext;
        /* the box centre lands at the image centre + offset (a crop of a wider photo) */
        cam->cx = 0.5f * S + s->offset[0] * S - cam->focal * 0.5f * (x0 + x1);
        cam->cy = 0.5f * S + s->offset[1] * S + cam->focal * 0.5f * (y0 + y1);
    }

    for (int v = 0; v < nv; v++) {
        float *p = w->screen + 3 * v, *p2 = w->screen2 + 3 * v;
        float iz = 1.0f / -p[2];
        float u = cam->cx + cam->focal * p[0] * iz;
        float vv = cam->cy - cam->focal * p[1] * iz;
        p[0] = u;
        p[1] = vv;
        p[2] = iz;
        p2[0] = 2.0f * u;
        p2[1] = 2.0f * vv;
        p2[2] = iz;
    }
    return FNRT_OK;
}

static void fg_interp_normal(const fnrt_fg_work *w, int32_t t, const float *b, float n[3])
{
    const int32_t *c = w->m->tris + 3 * t;
    const float *n0 = w->cam_nrm + 3 * c[0], *n1 = w->cam_nrm + 3 * c[1],
                *n2 = w->cam_nrm + 3 * c[2];
    for (int k = 0; k < 3; k++)
        n[k] = b[0] * n0[k] + b[1] * n1[k] + b[2] * n2[k];
    float len = sqrtf(n[0] * n[0] + n[1] * n[1] + n[2] * n[2]);
    if (len > 1e-12f) {
        n[0] /= len;
        n[1] /= len;
        n[2] /= len;
    } else { /* corner normals cancelling out: fall back to corner 0 */
        n[0] = n0[0];
        n[1] = n0[1];
        n[2] = n0[2];
    }
}

fnrt_status fnrt_fg_render(fnrt_fg_work *w, const fnrt_fg_sample *s, fnrt_fg_output *out)
{
    fnrt_status status;
    if (!w || !s || !out)
        return fnrt_error(FNRT_ERR_INVALID_ARG, "fnrt_fg_render: NULL argument");
    const fnrt_fg_model *m = w->m;
    const int S = w->size;
    const size_t plane = (size_t)S * (size_t)S;
    fnrt_fg_camera cam;
    memset(out, 0, sizeof *out);

    fnrt_fg_model_mesh(m, s->id_w, s->expr_w, w->pos);
    fnrt_fg_vertex_normals(m, w->pos, w->nrm);
    if ((status = fg_setup_camera(w, s, &cam)) != FNRT_OK)
        return status;

    /* 1x: exact normals and labels at pixel centres */
    fnrt_fg_raster_clear(&w->r1);
    fnrt_fg_raster_draw(&w->r1, w->screen, m->tris, m->n_tris, 0);
    int n_visible = 0;
    for (size_t p = 0; p < plane; p++) {
        int32_t t = w->r1.tri[p];
        float *n = w->normal + 3 * p;
        if (t < 0) {
            n[0] = n[1] = n[2] = 0.0f;
            w->mask[p] = FNRT_FG_LABEL_BACKGROUND;
            continue;
        }
        fg_interp_normal(w, t, w->r1.bary + 3 * p, n);
        w->mask[p] = (uint8_t)(m->tri_region[t] + 1);
        n_visible++;
    }

    /* 2x: shaded colour, box-filtered into rgb with its coverage */
    fnrt_fg_vertex_albedo(m, &s->albedo, w->albedo);
    fnrt_fg_raster_clear(&w->r2);
    /* two-sided: where the mesh is open (mouth, neck) its inside shows as a dark cavity
     * instead of the background; those pixels are background in the mask */
    fnrt_fg_raster_draw(&w->r2, w->screen2, m->tris, m->n_tris, 1);
    memset(w->rgb, 0, 3 * plane * sizeof(float));
    memset(w->cover, 0, plane * sizeof(float));
    const int S2 = 2 * S;
    const float inv_f = 1.0f / cam.focal;
    for (int j2 = 0; j2 < S2; j2++) {
        for (int i2 = 0; i2 < S2; i2++) {
            size_t p2 = (size_t)j2 * S2 + i2;
            int32_t t = w->r2.tri[p2];
            if (t < 0)
                continue;
            const float *b = w->r2.bary + 3 * p2;
            const int32_t *c = m->tris + 3 * t;
            float n[3], alb[3], col[3];
            size_t p = (size_t)(j2 >> 1) * S + (size_t)(i2 >> 1);
            if (w->r2.back[p2]) {
                w->rgb[p] += 0.25f * s->albedo.interior[0];
                w->rgb[plane + p] += 0.25f * s->albedo.interior[1];
                w->rgb[2 * plane + p] += 0.25f * s->albedo.interior[2];
                w->cover[p] += 0.25f;
                continue;
            }
            fg_interp_normal(w, t, b, n);
            int is_eye = m->tri_region[t] == FNRT_FG_REGION_EYE;
            if (is_eye) {
                float ec =
                    b[0] * m->eye_cos[c[0]] + b[1] * m->eye_cos[c[1]] + b[2] * m->eye_cos[c[2]];
                fnrt_fg_eye_albedo(&s->albedo, ec, alb);
            } else {
                const float *a0 = w->albedo + 3 * c[0], *a1 = w->albedo + 3 * c[1],
                            *a2 = w->albedo + 3 * c[2];
                for (int k = 0; k < 3; k++)
                    alb[k] = b[0] * a0[k] + b[1] * a1[k] + b[2] * a2[k];
            }
            /* direction toward the camera from this pixel's ray */
            float u = 0.5f * (i2 + 0.5f), v = 0.5f * (j2 + 0.5f);
            float view[3] = {-(u - cam.cx) * inv_f, (v - cam.cy) * inv_f, 1.0f};
            float vl = 1.0f / sqrtf(view[0] * view[0] + view[1] * view[1] + 1.0f);
            view[0] *= vl;
            view[1] *= vl;
            view[2] *= vl;
            fnrt_fg_shade(&s->lighting, n, view, alb, is_eye, col);
            w->rgb[p] += 0.25f * col[0];
            w->rgb[plane + p] += 0.25f * col[1];
            w->rgb[2 * plane + p] += 0.25f * col[2];
            w->cover[p] += 0.25f;
        }
    }

    fnrt_fg_background_render(&s->background, S, w->bg);
    for (size_t p = 0; p < plane; p++) {
        float rest = 1.0f - w->cover[p];
        for (int k = 0; k < 3; k++)
            w->rgb[k * plane + p] += rest * w->bg[k * plane + p];
    }
    if (!s->degrade_off) {
        fnrt_fg_degrade_apply(&s->degrade, S, w->rgb, w->scratch);
    } else {
        for (size_t i = 0; i < 3 * plane; i++)
            w->rgb[i] = w->rgb[i] < 0.0f ? 0.0f : (w->rgb[i] > 1.0f ? 1.0f : w->rgb[i]);
    }

    out->size = S;
    out->rgb = w->rgb;
    out->normal = w->normal;
    out->mask = w->mask;
    out->camera = cam;
    out->n_visible = n_visible;
    return FNRT_OK;
}
