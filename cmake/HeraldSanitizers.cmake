# Two instrumented builds besides the normal one (scripts/sanitize, scripts/fuzz):
#
# HERALD_SANITIZE=ON (GCC, build-asan/): every target with AddressSanitizer and
#   UndefinedBehaviorSanitizer, so that the unit and integration tests also prove memory safety.
#   Undefined behaviour halts (-fno-sanitize-recover): a report that lets the test go on passing
#   would be read by nobody.
# HERALD_FUZZ=ON (clang, build-fuzz/): only the pure libraries (core, config, event,
#   templating), instrumented for libFuzzer, and the fuzz targets under fuzz/.
option(HERALD_SANITIZE "Instrument everything with AddressSanitizer and UBSan" OFF)
option(HERALD_FUZZ "Build only the pure libraries and the libFuzzer targets (needs clang)" OFF)

set(HERALD_SANITIZER_FLAGS -fsanitize=address,undefined -fno-omit-frame-pointer
                           -fno-sanitize-recover=undefined)

if(HERALD_SANITIZE AND HERALD_FUZZ)
  message(FATAL_ERROR "HERALD_SANITIZE and HERALD_FUZZ are separate builds; choose one")
endif()

if(HERALD_SANITIZE)
  add_compile_options(${HERALD_SANITIZER_FLAGS})
  # GCC's -Wmaybe-uninitialized is unreliable under -fsanitize=address (its own manual says so):
  # at -O1 with ASan it reports libstdc++'s std::regex NFA states as uninitialised. The normal
  # build keeps the warning as an error; this one only adds the sanitizers' runtime checks, which
  # catch a real uninitialised read where the warning would have guessed.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=address,undefined)
endif()

if(HERALD_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "HERALD_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
  endif()
  # Libraries get coverage instrumentation without libFuzzer's main(); the targets link it.
  add_compile_options(-fsanitize=fuzzer-no-link ${HERALD_SANITIZER_FLAGS})
  add_link_options(-fsanitize=address,undefined)
endif()
