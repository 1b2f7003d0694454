# Every dependency is a Debian 12 package (scripts/install-deps installs them).
find_package(Threads REQUIRED)
set(Boost_NO_WARN_NEW_VERSIONS ON)  # CMake 3.25 predates Boost 1.81
find_package(Boost 1.81 EXACT REQUIRED COMPONENTS json program_options url)
find_package(date REQUIRED)            # libhowardhinnant-date-dev: target date::date-tz, USE_OS_TZDB=1
find_package(spdlog REQUIRED)          # libspdlog-dev (uses the Debian fmt)
find_package(yaml-cpp REQUIRED)        # libyaml-cpp-dev
find_package(GTest REQUIRED)           # libgtest-dev
find_package(prometheus-cpp REQUIRED)  # prometheus-cpp-dev: core only (we serve /metrics ourselves)
find_package(OpenSSL REQUIRED)         # libssl-dev: HMAC-SHA256 and base64 for provider auth
find_package(PkgConfig REQUIRED)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis)
pkg_check_modules(CURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
find_package(ICU REQUIRED COMPONENTS uc)  # libicu-dev: the case of letters in names, any script
# libjemalloc-dev: the daemon's allocator (src/app/CMakeLists.txt says why).
option(HERALD_JEMALLOC "Link the herald executable with jemalloc" ON)
if(HERALD_JEMALLOC)
  pkg_check_modules(JEMALLOC REQUIRED IMPORTED_TARGET jemalloc)
endif()

# libphonenumber-dev ships no CMake or pkg-config file: find the header and libraries by hand.
find_path(PHONENUMBER_INCLUDE_DIR phonenumbers/phonenumberutil.h REQUIRED)
find_library(PHONENUMBER_LIBRARY phonenumber REQUIRED)
find_package(Protobuf REQUIRED)
find_package(absl REQUIRED)
add_library(herald_phonenumber INTERFACE)
target_include_directories(herald_phonenumber SYSTEM INTERFACE ${PHONENUMBER_INCLUDE_DIR})
target_link_libraries(herald_phonenumber INTERFACE ${PHONENUMBER_LIBRARY} protobuf::libprotobuf
                      absl::node_hash_set absl::node_hash_map)

# kainjow mustache is header-only (libkainjow-mustache-dev).
find_path(MUSTACHE_INCLUDE_DIR kainjow/mustache.hpp REQUIRED)
add_library(herald_mustache INTERFACE)
target_include_directories(herald_mustache SYSTEM INTERFACE ${MUSTACHE_INCLUDE_DIR})
