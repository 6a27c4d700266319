# HLS kernels (hls/): g++ C-simulation test benches against the reference backend, built as
# plain C++14 with the compat hls::stream/ap_fixed headers (hls/common) when the Vitis
# headers are absent; plus the check that every kernel and port named by the v++ configs in
# bitstreams/ exists in the HLS sources.  Label "hls".
#
# Every hls/<folder>/tb-<name>.cpp is a test bench (test hls_<name>); the kernel sources
# (every other .cpp under hls/, compiled once with the default design parameters of
# hls/common/fnrt-hls-config.h) are linked into each, so a bench can drive any top function.
set(FNRT_HLS_DIR ${CMAKE_SOURCE_DIR}/hls)
file(GLOB FNRT_HLS_TBS CONFIGURE_DEPENDS ${FNRT_HLS_DIR}/*/tb-*.cpp)
file(GLOB FNRT_HLS_SOURCES CONFIGURE_DEPENDS ${FNRT_HLS_DIR}/*/*.cpp)
list(REMOVE_ITEM FNRT_HLS_SOURCES ${FNRT_HLS_TBS})

if(FNRT_HLS_TBS)
  add_library(fnrt-hls-kernels OBJECT ${FNRT_HLS_SOURCES})
  set_target_properties(fnrt-hls-kernels PROPERTIES CXX_STANDARD 14 CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF)
  target_compile_options(fnrt-hls-kernels PRIVATE -Wno-unknown-pragmas -Wno-unused-label)
  target_include_directories(fnrt-hls-kernels PRIVATE ${FNRT_HLS_DIR}/common)

  foreach(tb ${FNRT_HLS_TBS})
    get_filename_component(base ${tb} NAME_WE)
    string(REGEX REPLACE "^tb-" "" base ${base})
    string(REPLACE "-" "_" base ${base})
    set(name hls_${base})
    add_executable(${name} ${tb} $<TARGET_OBJECTS:fnrt-hls-kernels>)
    set_target_properties(${name} PROPERTIES CXX_STANDARD 14 CXX_STANDARD_REQUIRED ON
      CXX_EXTENSIONS OFF)
    target_compile_options(${name} PRIVATE -Wno-unknown-pragmas -Wno-unused-label)
    target_include_directories(${name} PRIVATE ${FNRT_HLS_DIR}/common)
    target_link_libraries(${name} PRIVATE fnrt)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS "hls" TIMEOUT 120
      ENVIRONMENT "${FNRT_TEST_ENV}")
  endforeach()
endif()

# fnrt_hls_tb(NAME TB [SOURCES...]): registers a bench explicitly (API kept for other
# fragments; TB relative to hls/).  The glob above already registers every tb-*.cpp with all
# kernel sources, so for those this only makes sure the test exists; extra sources are linked
# in by the object library anyway.
function(fnrt_hls_tb name tb)
  if(TARGET ${name})
    return()
  endif()
  add_executable(${name} ${FNRT_HLS_DIR}/${tb} $<TARGET_OBJECTS:fnrt-hls-kernels>)
  set_target_properties(${name} PROPERTIES CXX_STANDARD 14 CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF)
  target_compile_options(${name} PRIVATE -Wno-unknown-pragmas -Wno-unused-label)
  target_include_directories(${name} PRIVATE ${FNRT_HLS_DIR}/common)
  target_link_libraries(${name} PRIVATE fnrt)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "hls" TIMEOUT 120
    ENVIRONMENT "${FNRT_TEST_ENV}")
endfunction()

# Every kernel and port the v++ link configs name exists in the HLS sources, the generated
# configs are up to date, the Makefile resolves for every target, the JSON sidecar generator
# runs (no Vitis needed).
if(EXISTS ${CMAKE_SOURCE_DIR}/bitstreams/check-configs.py)
  fnrt_script_test(hls_bitstream_configs
    COMMAND ${FNRT_PYTHON} ${CMAKE_SOURCE_DIR}/bitstreams/check-configs.py
            --hls ${FNRT_HLS_DIR} --bitstreams ${CMAKE_SOURCE_DIR}/bitstreams
            --work ${CMAKE_BINARY_DIR}/hls-configs
    LABELS hls TIMEOUT 60)
endif()

# The XRT backend's host-side layout (host/src/backend/xrt/xrt-layout.c, xrt-args.c) against
# the HLS kernels in C-simulation (tests/test_xrt_layout.cpp): one build per design, each
# with the kernel sources compiled for that design; a small conv accumulator
# (FNRT_HLS_MAX_PIX) so that conv/deconv run in several bands.  Needs no XRT.
set(FNRT_XRT_LAYOUT_KERNELS conv2d/fnrt-conv2d.cpp deconv2d/fnrt-deconv2d.cpp
  pool/fnrt-maxpool.cpp pool/fnrt-global-avgpool.cpp upsample/fnrt-upsample2x.cpp
  modconv/fnrt-modulate.cpp elementwise/fnrt-concat.cpp elementwise/fnrt-gray.cpp
  elementwise/fnrt-l2norm.cpp elementwise/fnrt-add.cpp elementwise/fnrt-maxmerge.cpp
  glue/fnrt-mm2s.cpp glue/fnrt-s2mm.cpp)
# max_pix 0: a network build (the default buffers of hls/common/fnrt-hls-config.h, whole tiny
# networks instead of single ops).
function(fnrt_xrt_layout_test name prec lanes max_pix)
  set(srcs ${CMAKE_CURRENT_SOURCE_DIR}/test_xrt_layout.cpp)
  foreach(k ${FNRT_XRT_LAYOUT_KERNELS})
    list(APPEND srcs ${FNRT_HLS_DIR}/${k})
  endforeach()
  add_executable(${name} ${srcs})
  set_target_properties(${name} PROPERTIES CXX_STANDARD 14 CXX_STANDARD_REQUIRED ON
    CXX_EXTENSIONS OFF)
  if(max_pix)
    target_compile_definitions(${name} PRIVATE FNRT_HLS_PREC=${prec} FNRT_HLS_P=${lanes}
      FNRT_HLS_MAX_PIX=${max_pix} FNRT_HLS_MAX_WC=2048 FNRT_HLS_MAX_CO=64)
  else()
    target_compile_definitions(${name} PRIVATE FNRT_HLS_PREC=${prec} FNRT_HLS_P=${lanes}
      FNRT_TEST_NETWORK=1)
  endif()
  target_compile_options(${name} PRIVATE -Wno-unknown-pragmas -Wno-unused-label)
  target_include_directories(${name} PRIVATE ${FNRT_HLS_DIR}/common ${CMAKE_SOURCE_DIR}/host/src)
  target_link_libraries(${name} PRIVATE fnrt)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS "hls;xrt" TIMEOUT 120
    ENVIRONMENT "${FNRT_TEST_ENV}")
endfunction()
fnrt_xrt_layout_test(hls_xrt_layout_f32 0 8 16)
fnrt_xrt_layout_test(hls_xrt_layout_fx16 1 4 16)
fnrt_xrt_layout_test(hls_xrt_layout_fx8 2 8 16)
fnrt_xrt_layout_test(hls_xrt_network_f32 0 8 0)
fnrt_xrt_layout_test(hls_xrt_network_fx16 1 8 0)
fnrt_xrt_layout_test(hls_xrt_network_fx8 2 8 0)
