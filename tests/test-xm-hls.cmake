# HLS C-simulation test bench of the cross-modal network's merge kernels (hls/elementwise:
# fnrt_add, fnrt_maxmerge), registered with the HLS test helper of tests/test-hls.cmake
# (fragments are included in name order, so this one comes after it).
if(COMMAND fnrt_hls_tb)
  fnrt_hls_tb(hls_merge elementwise/tb-merge.cpp elementwise/fnrt-add.cpp
    elementwise/fnrt-maxmerge.cpp)
  set_property(TEST hls_merge APPEND PROPERTY LABELS crossmodal)
endif()
