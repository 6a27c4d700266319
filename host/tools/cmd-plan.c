/* fnrt plan: the execution plan of a model — stages and their ops, dependencies, tiled
 * chains with tile sizes and halos, FLOPs, bytes handed between stages, buffer memory. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/model.h"
#include "core/plan.h"

static void usage_plan(FILE *f)
{
    fprintf(f,
            "usage: fnrt plan [-m MODEL] [--size S] [--tile-rows R] [--depth D] [--no-share]\n"
            "              [-v]\n"
            "\n"
            "Prints how fnrt runs a model (no device needed): the stages, which stages each\n"
            "waits for, their ops (-v) with GFLOP, the full-resolution layer chains that run\n"
            "in bands of R rows (tile size and halo per layer), the bytes each stage hands to\n"
            "others, and the buffer memory (weights, stage pools with liveness-based reuse,\n"
            "hand-off buffers per image in flight).  --size S > the network size describes\n"
            "the high-resolution refinement of an SxS image (fnrt infer --size input).\n"
            "\n"
            "options:\n"
            "  -m, --model FILE   model (.safetensors); default %s\n"
            "      --mode MODE    graph mode of the model (see 'fnrt info')\n"
            "      --size S       image side (default: the network's input size)\n"
            "      --tile-rows R  rows per band of tiled chains (default 32, 0 = untiled)\n"
            "      --depth D      images in flight (default 2)\n"
            "      --no-share     plan without buffer reuse\n"
            "  -v, --verbose      list every op of every stage\n"
            "  -h, --help         this text\n",
            default_model());
}

static double mib(uint64_t n_bytes)
{
    return (double)n_bytes / 1048576.0;
}

int fnrt_cmd_plan(int argc, char **argv)
{
    const char *model = default_model(), *mode = NULL;
    int size = 0, tile_rows = 32, depth = 2, share = 1, verbose = 0;
    static const struct option longopts[] = {
        {"model", required_argument, 0, 'm'}, {"size", required_argument, 0, 'S'},
        {"tile-rows", required_argument, 0, 'R'}, {"depth", required_argument, 0, 'D'},
        {"no-share", no_argument, 0, 'N'}, {"verbose", no_argument, 0, 'v'},
        {"mode", required_argument, 0, 'M'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "m:vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'M': mode = optarg; break;
        case 'N': share = 0; break;
        case 'v': verbose = 1; break;
        case 'h': usage_plan(stdout); return 0;
        case 'S':
        case 'R':
        case 'D': {
            int v;
            if (parse_int_opt(optarg, &v) < 0 || v < (c == 'D' ? 1 : 0) ||
                v > (c == 'D' ? FNRT_SESSION_MAX_DEPTH : 65536)) {
                fprintf(stderr, "fnrt plan: bad value '%s'\n", optarg);
                return EXIT_USAGE;
            }
            *(c == 'S' ? &size : c == 'R' ? &tile_rows : &depth) = v;
            break;
        }
        default: fprintf(stderr, "fnrt plan: see 'fnrt plan --help'\n"); return EXIT_USAGE;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fnrt plan: unexpected argument '%s'\n", argv[optind]);
        return EXIT_USAGE;
    }
    fnrt_model *m;
    int lrc = load_model_or_report(model, mode, &m);
    if (lrc)
        return lrc;
    const fnrt_graph *g = &m->graph;
    fnrt_plan p;
    if (fnrt_plan_build(g, share, tile_rows, &p) != FNRT_OK) {
        fprintf(stderr, "fnrt: %s\n", fnrt_last_error());
        fnrt_model_free(m);
        return EXIT_MODEL;
    }
    fnrt_model_info info;
    fnrt_model_get_info(m, &info);
    int S = info.input_size;
    if (size == 0)
        size = S;

    printf("model:        %s (%s)\n", model, info.architecture);
    printf("input:        3x%dx%d\n", S, S);
    printf("GFLOP/image:  %.3f\n", info.gflop);
    printf("\nstages (each on its own in-order queue; a stage waits only for the stages it "
           "reads):\n");
    printf("  %-2s %-10s %5s %4s %9s %9s  %-22s %9s %9s %9s %9s\n", "#", "stage", "queue", "ops",
           "GFLOP", "weights", "waits for", "in MiB", "out MiB", "pool MiB", "unshared");
    for (int d = 0; d < p.n_stages; d++) {
        const fnrt_plan_stage *s = &p.stages[d];
        char deps[128] = "";
        size_t n = 0;
        if (s->reads_input)
            n += (size_t)snprintf(deps + n, sizeof deps - n, "input");
        for (int e = 0; e < p.n_stages && n < sizeof deps; e++)
            if (s->deps >> e & 1)
                n += (size_t)snprintf(deps + n, sizeof deps - n, "%s%s", n ? "," : "",
                                      p.stages[e].name);
        printf("  %-2d %-10s %5d %4d %9.3f %6.1f MiB  %-22s %9.2f %9.2f %9.2f %9.2f\n", d,
               s->name, d + 1, s->n_ops, s->gflop, mib(s->weight_bytes), deps, mib(s->in_bytes),
               mib(s->out_bytes), mib(s->pool_bytes), mib(s->naive_bytes));
    }
    printf("  stages that do not wait for each other run concurrently; with %d image%s in "
           "flight,\n  image i+1's first stages run while image i's last ones do.\n", depth,
           depth == 1 ? "" : "s");

    printf("\nhand-offs between stages (one buffer per image in flight):\n");
    for (int t = 0; t < g->n_tensors; t++) {
        const fnrt_plan_tensor *pt = &p.tensors[t];
        if (pt->place != FNRT_PLACE_SLOT)
            continue;
        const fnrt_shape *sh = &g->tensors[t].shape;
        char readers[128] = "";
        size_t n = 0;
        unsigned seen = 0;
        for (int i = 0; i < g->n_ops; i++)
            for (int k = 0; k < g->ops[i].n_in; k++)
                if (g->ops[i].in[k] == t && !(seen >> p.op_stage[i] & 1) && n < sizeof readers) {
                    seen |= 1u << p.op_stage[i];
                    n += (size_t)snprintf(readers + n, sizeof readers - n, "%s%s", n ? "," : "",
                                          p.stages[p.op_stage[i]].name);
                }
        if (t == g->out_normals || t == g->out_exemplar)
            n += (size_t)snprintf(readers + n, n < sizeof readers ? sizeof readers - n : 0,
                                  "%shost", n ? "," : "");
        printf("  %-24s %4lldx%4lldx%4lld %8.2f MiB  %-10s -> %s\n", g->tensors[t].name,
               (long long)sh->dims[0], (long long)(sh->ndim > 1 ? sh->dims[1] : 1),
               (long long)(sh->ndim > 2 ? sh->dims[2] : 1), mib(pt->n_bytes),
               pt->stage >= 0 ? p.stages[pt->stage].name : "host", readers);
    }

    printf("\ntiled chains (bands of %d output rows; halo = extra input rows each side):\n",
           tile_rows);
    if (p.n_chains == 0)
        printf("  none\n");
    for (int ci = 0; ci < p.n_chains; ci++) {
        const fnrt_plan_chain *ch = &p.chains[ci];
        int n_tiles = (ch->out_h + ch->tile_rows - 1) / ch->tile_rows;
        printf("  %s: %d ops at %dx%d, %d bands; intermediate tensors as ring buffers of "
               "%.2f MiB instead of %.2f MiB\n", p.stages[ch->stage].name, ch->n_ops,
               ch->out_h, ch->out_w, n_tiles, mib(ch->ring_bytes), mib(ch->full_bytes));
        for (int k = 0; k < ch->n_ops; k++) {
            const fnrt_op *op = &g->ops[ch->first_op + k];
            int h_out = k + 1 < ch->n_ops ? ch->halo[k + 1] : 0;
            printf("    %-26s %-8s %dx%d  band: %d+2x%d rows in, %d+2x%d rows out\n",
                   op->name, fnrt_op_type_str(op->type), op->p.conv.kh, op->p.conv.kw,
                   ch->tile_rows, ch->halo[k], ch->tile_rows, h_out);
        }
    }

    if (verbose) {
        printf("\nops:\n");
        for (int d = 0; d < p.n_stages; d++) {
            const fnrt_plan_stage *s = &p.stages[d];
            printf("  %s:\n", s->name);
            for (int i = s->first_op; i < s->first_op + s->n_ops; i++) {
                const fnrt_op *op = &g->ops[i];
                const fnrt_plan_tensor *pt = &p.tensors[op->out];
                char where[32];
                if (pt->place == FNRT_PLACE_POOL)
                    snprintf(where, sizeof where, "pool block %d", pt->block);
                else
                    snprintf(where, sizeof where, "hand-off");
                printf("    %-28s %-14s %4lldx%4lldx%4lld %8.3f GFLOP  %s\n", op->name,
                       fnrt_op_type_str(op->type), (long long)op->out_shape.dims[0],
                       (long long)op->out_shape.dims[1], (long long)op->out_shape.dims[2],
                       2.0 * fnrt_op_macs(op) * 1e-9, where);
            }
        }
    }

    uint64_t total =
        p.param_bytes + p.pool_bytes + p.ring_bytes + p.slot_bytes * (uint64_t)depth;
    printf("\nbuffer memory:\n");
    printf("  weights                    %9.1f MiB (kept packed on the device)\n",
           mib(p.param_bytes));
    printf("  stage pools                %9.1f MiB in %d blocks (%.1f MiB with one buffer per "
           "tensor)\n", mib(p.pool_bytes), p.n_blocks,
           mib(p.naive_bytes - p.slot_bytes));
    printf("  tile rings                 %9.1f MiB\n", mib(p.ring_bytes));
    printf("  hand-off buffers           %9.1f MiB x %d image%s in flight\n", mib(p.slot_bytes),
           depth, depth == 1 ? "" : "s");
    printf("  total                      %9.1f MiB (without the plan: %.1f MiB)\n", mib(total),
           mib(p.param_bytes + p.naive_bytes));

    if (size > S && g->out_exemplar >= 0) {
        int ov = S / 4, n = size <= S ? 1 : (size - ov + (S - ov) - 1) / (S - ov);
        double gf_tile = 0.0, gf_glob = 0.0;
        for (int d = 0; d < p.n_stages; d++) {
            /* the stages the exemplar and style come from run once, the others per tile */
            int global = d <= p.tensors[g->out_exemplar].stage ||
                         (!p.stages[d].reads_input && d != p.tensors[g->out_normals].stage);
            *(global ? &gf_glob : &gf_tile) += p.stages[d].gflop;
        }
        printf("\nhigh resolution %dx%d: exemplar and style at %dx%d (%.3f GFLOP), refiner on "
               "%dx%d = %d tiles of %dx%d overlapping by >= %d px (%.3f GFLOP each), %.1f GFLOP "
               "in all; device memory as above (per tile, not per image), host: the image and "
               "the normal map (%.1f MiB)\n", size, size, S, S, gf_glob, n, n, n * n, S, S, ov,
               gf_tile, gf_glob + gf_tile * n * n, mib((uint64_t)size * size * 3 * 4 * 2));
    }
    fnrt_plan_free(&p);
    fnrt_model_free(m);
    return 0;
}
