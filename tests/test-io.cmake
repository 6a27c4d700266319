# I/O tests: safetensors, PNG, NPY, atomic output files.  Pure host code (no OpenCL).
fnrt_check_test(test_safetensors SOURCES test_safetensors.c LABELS unit io)
fnrt_check_test(test_png SOURCES test_png.c LABELS unit io)
fnrt_check_test(test_npy SOURCES test_npy.c LABELS unit io)
fnrt_check_test(test_outfile SOURCES test_outfile.c LABELS unit io)
