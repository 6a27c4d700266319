# fnrt co-design model (sim/): the model library, the fnrt-sim command and the fixed-point
# accuracy evaluation fnrt-quant-eval.  Included from tests/test-sim.cmake (the tests/
# fragments are the place where parallel work plugs into the build).
add_library(fnrt-simmodel STATIC ${CMAKE_SOURCE_DIR}/sim/fnrt-sim-model.c)
target_include_directories(fnrt-simmodel PUBLIC ${CMAKE_SOURCE_DIR}/sim ${CMAKE_SOURCE_DIR}/host/src)
target_link_libraries(fnrt-simmodel PUBLIC fnrt)

add_executable(fnrt-sim ${CMAKE_SOURCE_DIR}/sim/fnrt-sim.c)
target_compile_definitions(fnrt-sim PRIVATE FNRT_SIM_DB="${CMAKE_SOURCE_DIR}/sim/platforms.json")
target_link_libraries(fnrt-sim PRIVATE fnrt-simmodel)
set_target_properties(fnrt-sim PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})

if(EXISTS ${CMAKE_SOURCE_DIR}/sim/quant-eval.c)
  add_executable(fnrt-quant-eval ${CMAKE_SOURCE_DIR}/sim/quant-eval.c)
  target_include_directories(fnrt-quant-eval PRIVATE ${CMAKE_SOURCE_DIR}/host/src)
  target_link_libraries(fnrt-quant-eval PRIVATE fnrt)
  set_target_properties(fnrt-quant-eval PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR})
endif()
