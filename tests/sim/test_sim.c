/* Co-design model (sim/): data file, op counts against the runtime's, cycle/memory helpers,
 * the published design points, consistency of the per-layer/unit/stage sums. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/model.h"
#include "fnrt-sim-model.h"
#include "test-util.h"

static char *db_path(void)
{
    const char *src = getenv("FNRT_SOURCE_DIR");
    char *p = malloc(strlen(src ? src : ".") + 32);
    sprintf(p, "%s/sim/platforms.json", src ? src : ".");
    return p;
}

static fnrt_model *tiny(void)
{
    char *path = test_data_path("fnr2r-tiny.safetensors");
    fnrt_model *m = NULL;
    ck_assert_int_eq(fnrt_model_load(path, &m), FNRT_OK);
    free(path);
    return m;
}

START_TEST(test_db)
{
    fnrt_sim_db db;
    char *p = db_path();
    ck_assert_int_eq(fnrt_sim_db_load(p, &db), FNRT_OK);
    const fnrt_sim_platform *u250 = fnrt_sim_find_platform(&db, "u250");
    const fnrt_sim_platform *u55c = fnrt_sim_find_platform(&db, "xilinx_u55c_gen3x16_xdma_3_202210_1");
    ck_assert_ptr_nonnull(u250);
    ck_assert_ptr_nonnull(u55c);
    /* the published figures the issue gives */
    ck_assert(u250->dsp == 11520 && u250->bram36 == 2304 && u250->uram == 1280);
    ck_assert(fabs(u250->mem_gbs - 77) < 1 && fabs(u55c->mem_gbs - 460) < 1);
    ck_assert(u55c->dsp == 8496 && u55c->bram36 == 1752 && u55c->uram == 960);
    ck_assert(fnrt_sim_find_prec(&db, "fp32")->dsp_per_mac == 5.0);
    ck_assert(fnrt_sim_find_prec(&db, "int16")->dsp_per_mac == 1.0);
    ck_assert(fnrt_sim_find_prec(&db, "int8")->dsp_per_mac == 0.5);
    ck_assert(db.budget == 0.8);
    free(p);
}
END_TEST

START_TEST(test_db_errors)
{
    char *dir = test_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"platforms\": [{\"name\": \"x\", \"xpfm\": \"y\", \"memory\": \"DDR\"}]}", f);
    fclose(f);
    fnrt_sim_db db;
    ck_assert_int_eq(fnrt_sim_db_load(path, &db), FNRT_ERR_FORMAT);
    ck_assert_ptr_nonnull(strstr(fnrt_last_error(), "'dsp'"));
    ck_assert_int_eq(fnrt_sim_db_load("/nonexistent/platforms.json", &db), FNRT_ERR_IO);
    unlink(path);
    rmdir(dir);
    free(dir);
}
END_TEST

/* The model's loop-nest MAC count is the runtime's, op by op and stage by stage. */
START_TEST(test_op_counts)
{
    fnrt_model *m = tiny();
    const fnrt_graph *g = &m->graph;
    double total = 0.0;
    for (int i = 0; i < g->n_ops; i++) {
        ck_assert_msg(fnrt_sim_op_macs(&g->ops[i]) == fnrt_op_macs(&g->ops[i]), "op %s",
                      g->ops[i].name);
        total += fnrt_sim_op_macs(&g->ops[i]);
    }
    for (int s = 0; s < g->n_stages; s++) {
        const char *name;
        double gflop, sim = 0.0;
        ck_assert(fnrt_model_stage_info(m, s, &name, &gflop, NULL));
        for (int i = g->stages[s].first_op; i < g->stages[s].first_op + g->stages[s].n_ops; i++)
            sim += fnrt_sim_op_macs(&g->ops[i]);
        ck_assert_msg(fabs(sim - gflop * 0.5e9) <= 1e-9 * sim + 0.5, "stage %s", name);
    }
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    ck_assert(fabs(total - info.gflop * 0.5e9) <= 1e-9 * total + 0.5);
    fnrt_model_free(m);
}
END_TEST

START_TEST(test_memories)
{
    ck_assert(fnrt_sim_bram36(72, 512) == 1 && fnrt_sim_bram36(32, 2048) == 2);
    ck_assert(fnrt_sim_bram36(8, 4096) == 1 && fnrt_sim_bram36(1, 32768) == 1);
    ck_assert(fnrt_sim_bram36(512, 1280) == 24 && fnrt_sim_bram36(0, 10) == 0);
    ck_assert(fnrt_sim_uram(72, 4096) == 1 && fnrt_sim_uram(256, 20480) == 20);
}
END_TEST

/* Per-layer, per-unit and per-stage figures add up; utilisation <= 1; im2col rule. */
START_TEST(test_eval)
{
    fnrt_sim_db db;
    char *p = db_path();
    ck_assert_int_eq(fnrt_sim_db_load(p, &db), FNRT_OK);
    fnrt_model *m = tiny();
    const fnrt_graph *g = &m->graph;
    for (int pooled = 0; pooled < 2; pooled++) {
        fnrt_sim_design d;
        fnrt_sim_result r;
        memset(&d, 0, sizeof d);
        d.plat = fnrt_sim_find_platform(&db, "u250");
        d.prec = fnrt_sim_find_prec(&db, "int8");
        d.clock_mhz = 300, d.p = 8, d.max_pix = 1024, d.pooled = pooled;
        ck_assert_int_eq(fnrt_sim_eval(&db, g, &d, &r), FNRT_OK);
        double t_units = 0, t_stages = 0, macs = 0;
        for (int u = 0; u < r.n_units; u++)
            t_units += r.units[u].time_s;
        for (int s = 0; s < r.n_stages; s++)
            t_stages += r.stage_time_s[s];
        for (int i = 0; i < r.n_layers; i++) {
            const fnrt_sim_layer *L = &r.layers[i];
            macs += L->macs;
            ck_assert_msg(L->util <= 1.0 + 1e-12, "%s", g->ops[L->op].name);
            ck_assert(L->cycles > 0 && L->time_s > 0);
            if (g->ops[i].type == FNRT_OP_CONV2D || g->ops[i].type == FNRT_OP_DECONV2D)
                ck_assert(L->cycles >= L->macs / 64.0);
        }
        ck_assert(fabs(t_units - t_stages) < 1e-9 * t_units);
        ck_assert(fabs(macs - r.macs) < 1.0);
        ck_assert(r.img_per_s > 0 && r.img_per_s <= r.img_per_s_compute * (1 + 1e-12));
        ck_assert(r.bottleneck_stage >= 0 || r.bottleneck < 0);
        ck_assert(r.feasible);
        fnrt_sim_result_free(&r);
    }
    /* the first VGG layer (3 channels, 3x3) runs through im2col at P = 8, not at P = 2 */
    for (int i = 0; i < g->n_ops; i++)
        if (!strcmp(g->ops[i].name, "refiner.block1.0")) {
            ck_assert(fnrt_sim_use_im2col(&g->ops[i], 32));
            ck_assert(!fnrt_sim_use_im2col(&g->ops[i], 2));
        }
    fnrt_model_free(m);
    free(p);
}
END_TEST

/* The two published design points within 15% (the acceptance criterion). */
START_TEST(test_validation)
{
    fnrt_sim_db db;
    char *p = db_path();
    ck_assert_int_eq(fnrt_sim_db_load(p, &db), FNRT_OK);
    ck_assert_int_ge(db.n_val, 2);
    for (int i = 0; i < db.n_val; i++) {
        double dsp;
        double g = fnrt_sim_validate_point(&db, &db.val[i], &dsp, NULL);
        double err = (g - db.val[i].reported_gops) / db.val[i].reported_gops;
        printf("validation %s: predicted %.1f GOP/s, reported %.1f, %+.1f%%\n", db.val[i].name, g,
               db.val[i].reported_gops, 100 * err);
        ck_assert_msg(fabs(err) <= 0.15, "%s: %.1f%%", db.val[i].name, 100 * err);
        ck_assert(fabs(dsp - db.val[i].reported_dsp) <= 0.15 * db.val[i].reported_dsp);
    }
    free(p);
}
END_TEST

/* A search never returns an infeasible design, and more budget never lowers throughput. */
START_TEST(test_search)
{
    fnrt_sim_db db;
    char *p = db_path();
    ck_assert_int_eq(fnrt_sim_db_load(p, &db), FNRT_OK);
    fnrt_model *m = tiny();
    const fnrt_sim_prec *pr = fnrt_sim_find_prec(&db, "int16");
    fnrt_sim_design d1, d2;
    fnrt_sim_result r1, r2;
    ck_assert_int_eq(fnrt_sim_search(&db, &m->graph, fnrt_sim_find_platform(&db, "u50"), pr, 300,
                                     2048, NULL, 0, -1, 0, &d1, &r1), 0);
    ck_assert_int_eq(fnrt_sim_search(&db, &m->graph, fnrt_sim_find_platform(&db, "u250"), pr,
                                     300, 2048, NULL, 0, -1, 0, &d2, &r2), 0);
    ck_assert(r1.feasible && r2.feasible);
    ck_assert(r2.img_per_s >= r1.img_per_s);
    fnrt_sim_result_free(&r1);
    fnrt_sim_result_free(&r2);
    /* a target search reaches the target */
    ck_assert_int_eq(fnrt_sim_search(&db, &m->graph, fnrt_sim_find_platform(&db, "u250"), pr,
                                     300, 2048, NULL, 0, -1, 500, &d1, &r1), 0);
    ck_assert(r1.img_per_s >= 500 && r1.feasible);
    fnrt_sim_result_free(&r1);
    fnrt_model_free(m);
    free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sim");
    TCase *tc = tcase_create("model");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_db);
    tcase_add_test(tc, test_db_errors);
    tcase_add_test(tc, test_op_counts);
    tcase_add_test(tc, test_memories);
    tcase_add_test(tc, test_eval);
    tcase_add_test(tc, test_validation);
    tcase_add_test(tc, test_search);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
