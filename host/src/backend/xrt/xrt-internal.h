/* fnrt — XRT backend internals: the parsed xclbin (no XRT calls needed to read it). */
#ifndef FNRT_XRT_INTERNAL_H
#define FNRT_XRT_INTERNAL_H

#include <stdio.h>

#include "backend/xrt/xrt-kernels.h"
#include "fnrt/fnrt-status.h"

#define FNRT_XCLBIN_MAX_KERNELS 64
#define FNRT_XCLBIN_MAX_ARGS 48
#define FNRT_XCLBIN_MAX_CUS 256
#define FNRT_XCLBIN_MAX_BANKS 64
#define FNRT_XCLBIN_MAX_CONN 1024

typedef struct fnrt_xclbin_arg {
    char name[64];
    int address_qualifier; /* 0 scalar, 1 global memory, 4 stream */
    int id;
    char type[64];
} fnrt_xclbin_arg;

typedef struct fnrt_xclbin_kernel {
    char name[64];
    int n_args;
    fnrt_xclbin_arg args[FNRT_XCLBIN_MAX_ARGS]; /* sorted by id */
} fnrt_xclbin_kernel;

typedef struct fnrt_xclbin_cu {
    char kernel[65]; /* ip_data names are 64 bytes, not always terminated */
    char name[65];
} fnrt_xclbin_cu;

typedef struct fnrt_xclbin_conn {
    int arg, cu, bank; /* cu: index into cus (= IP_LAYOUT index), bank: index into bank_tag */
} fnrt_xclbin_conn;

typedef struct fnrt_xclbin {
    unsigned char uuid[16]; /* axlf_header.uuid */
    char vbnv[65];          /* axlf_header.m_platformVBNV */
    char sha256[65];        /* hex sha256 of the whole file */
    int n_kernels, n_cus, n_banks, n_conn;
    fnrt_xclbin_kernel kernels[FNRT_XCLBIN_MAX_KERNELS];
    fnrt_xclbin_cu cus[FNRT_XCLBIN_MAX_CUS];
    int cu_ip_index[FNRT_XCLBIN_MAX_CUS];
    char bank_tag[FNRT_XCLBIN_MAX_BANKS][17];
    int bank_used[FNRT_XCLBIN_MAX_BANKS];
    fnrt_xclbin_conn conn[FNRT_XCLBIN_MAX_CONN];
} fnrt_xclbin;

/* Reads path into *x (caller-allocated; large).  FNRT_ERR_IO / FNRT_ERR_FORMAT with a
 * message naming the file. */
fnrt_status fnrt_xclbin_read(const char *path, fnrt_xclbin *x);
const fnrt_xclbin_kernel *fnrt_xclbin_find_kernel(const fnrt_xclbin *x, const char *name);
/* Compares a kernel of the xclbin with its table entry; on mismatch writes a message naming
 * the argument (position and name) into msg and returns FNRT_ERR_FORMAT. */
fnrt_status fnrt_xclbin_check_kernel(const fnrt_xclbin_kernel *have,
                                     const fnrt_xrt_kernel_desc *want, char *msg, size_t n_msg);

#endif
