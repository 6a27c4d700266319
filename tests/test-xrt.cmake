# XRT backend (label xrt): the host flow under XRT's noop shim with metadata-only xclbins from
# fnrt-mkxclbin (tests/test_xrt.c).  Without XRT (libxrt-dev) the test is reported skipped.
if(FNRT_HAVE_XRT)
  get_filename_component(FNRT_XRT_LIBDIR ${FNRT_XRT_COREUTIL} DIRECTORY)
  fnrt_check_test(test_xrt SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt.c
    LABELS unit xrt TIMEOUT 600)
  target_include_directories(test_xrt PRIVATE ${FNRT_XRT_INCLUDE_DIR})
  add_dependencies(test_xrt fnrt-mkxclbin)
  set_property(TEST test_xrt APPEND PROPERTY ENVIRONMENT
    "FNRT_MKXCLBIN=$<TARGET_FILE:fnrt-mkxclbin>" "FNRT_XRT_LIBDIR=${FNRT_XRT_LIBDIR}")
  fnrt_script_test(test_xrt_cli COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt_cli.sh
    LABELS cli xrt TIMEOUT 300)
  set_property(TEST test_xrt_cli APPEND PROPERTY ENVIRONMENT
    "FNRT_MKXCLBIN=$<TARGET_FILE:fnrt-mkxclbin>" "FNRT_XRT_LIBDIR=${FNRT_XRT_LIBDIR}")
else()
  add_test(NAME test_xrt COMMAND sh -c
    "echo 'SKIP: XRT not installed (apt-get install libxrt-dev libxrt1): xrt backend not built'; exit 77")
  set_tests_properties(test_xrt PROPERTIES LABELS "unit;xrt" SKIP_RETURN_CODE 77)
endif()

# The OpenCL backend's Xilinx flow (xclbin of the kernels_cl kernels as program binary): the
# sidecar's refusals (missing, HLS flow, tunables, kernels, sources, stale) with sidecars from
# bitstreams/make-sidecar.py, then the platform refusal on PoCL; with XRT also the XRT
# backend's refusal of an OpenCL-flow sidecar.  Skipped (77) without python.
fnrt_check_test(test_xrt_opencl SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt_opencl.c
  LABELS unit pocl xrt TIMEOUT 300)
set_tests_properties(test_xrt_opencl PROPERTIES SKIP_RETURN_CODE 77)
if(FNRT_HAVE_XRT)
  add_dependencies(test_xrt_opencl fnrt-mkxclbin)
  set_property(TEST test_xrt_opencl APPEND PROPERTY ENVIRONMENT
    "FNRT_MKXCLBIN=$<TARGET_FILE:fnrt-mkxclbin>")
endif()

# The OpenCL flow's v++ recipe (make FLOW=opencl) against the runtime's kernel and tuning
# tables and kernels_cl (bitstreams/check-configs.py --flow opencl), and that check failing on
# broken copies of its inputs (tests/test_xrt_opencl_recipe.sh).  Needs make and python; clang
# (optional) compiles every kernels_cl file with the recipe's -D options.
fnrt_script_test(xrt_opencl_recipe
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt_opencl_recipe.sh LABELS xrt TIMEOUT 300)
set_tests_properties(xrt_opencl_recipe PROPERTIES SKIP_RETURN_CODE 77)

# The XRT backend end to end on a C-simulated card (tests/test_xrt_csim.cpp): the test defines
# the XRT C API functions the backend calls and runs the HLS kernels (compiled in with the
# build's design, default buffers) when a CU runs; sessions on "xrt" against "ref".
if(FNRT_HAVE_XRT AND FNRT_XRT_LAYOUT_KERNELS)
  function(fnrt_xrt_csim_test name prec lanes)
    set(srcs ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt_csim.cpp)
    foreach(k ${FNRT_XRT_LAYOUT_KERNELS})
      list(APPEND srcs ${FNRT_HLS_DIR}/${k})
    endforeach()
    add_executable(${name} ${srcs})
    set_target_properties(${name} PROPERTIES CXX_STANDARD 14 CXX_STANDARD_REQUIRED ON
      CXX_EXTENSIONS OFF)
    target_compile_definitions(${name} PRIVATE FNRT_HLS_PREC=${prec} FNRT_HLS_P=${lanes})
    target_compile_options(${name} PRIVATE -Wno-unknown-pragmas -Wno-unused-label)
    target_include_directories(${name} PRIVATE ${FNRT_HLS_DIR}/common ${CMAKE_SOURCE_DIR}/host/src
      ${CMAKE_CURRENT_SOURCE_DIR})
    target_include_directories(${name} SYSTEM PRIVATE ${FNRT_XRT_INCLUDE_DIR})
    target_link_libraries(${name} PRIVATE fnrt)
    add_dependencies(${name} fnrt-mkxclbin)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "xrt;hls" TIMEOUT 300 SKIP_RETURN_CODE 77
      ENVIRONMENT "${FNRT_TEST_ENV};FNRT_MKXCLBIN=$<TARGET_FILE:fnrt-mkxclbin>")
  endfunction()
  fnrt_xrt_csim_test(xrt_csim_f32 0 8)
  fnrt_xrt_csim_test(xrt_csim_fx16 1 16)
  fnrt_xrt_csim_test(xrt_csim_fx8 2 8)
endif()
