# Installing herald and packaging it as a .deb (service issue, item 5).
#
#   cmake --install build                    # /usr/bin/herald, /usr/lib/systemd/system, /etc/herald
#   DESTDIR=/tmp/stage cmake --install build # the same under /tmp/stage
#   (cd build && cpack -G DEB)               # herald_VERSION_ARCH.deb
#
# The prefix defaults to /usr, the Debian layout the unit and the binary's default config path
# (/etc/herald/herald.yaml) assume. The config always goes to /etc/herald: that is where
# `herald run` looks for it.
include(GNUInstallDirs)

set(HERALD_CONFIG_DIR /etc/herald)
set(HERALD_SYSTEMD_UNIT_DIR lib/systemd/system CACHE STRING
    "Where the systemd unit goes, relative to the install prefix")

# The unit names the binary by its installed path.
file(READ ${PROJECT_SOURCE_DIR}/systemd/herald.service HERALD_UNIT_TEXT)
string(REPLACE "/usr/bin/herald" "${CMAKE_INSTALL_FULL_BINDIR}/herald" HERALD_UNIT_TEXT
               "${HERALD_UNIT_TEXT}")
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/systemd/herald.service CONTENT "${HERALD_UNIT_TEXT}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
             ${PROJECT_SOURCE_DIR}/systemd/herald.service)
install(FILES ${PROJECT_BINARY_DIR}/systemd/herald.service DESTINATION ${HERALD_SYSTEMD_UNIT_DIR})

# The production example and its templates (conffiles in the .deb).
install(FILES ${PROJECT_SOURCE_DIR}/config/herald.yaml DESTINATION ${HERALD_CONFIG_DIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/config/templates/ DESTINATION ${HERALD_CONFIG_DIR}/templates
        FILES_MATCHING PATTERN "*.yaml")

# The man page is written in roff by hand (man/herald.1) and installed compressed, as Debian
# policy asks.
find_program(GZIP_EXECUTABLE gzip REQUIRED)
add_custom_command(OUTPUT ${PROJECT_BINARY_DIR}/man/herald.1.gz
                   COMMAND ${CMAKE_COMMAND} -E make_directory ${PROJECT_BINARY_DIR}/man
                   COMMAND ${GZIP_EXECUTABLE} -9n -c ${PROJECT_SOURCE_DIR}/man/herald.1 >
                           ${PROJECT_BINARY_DIR}/man/herald.1.gz
                   DEPENDS ${PROJECT_SOURCE_DIR}/man/herald.1 VERBATIM)
add_custom_target(herald_man ALL DEPENDS ${PROJECT_BINARY_DIR}/man/herald.1.gz)
install(FILES ${PROJECT_BINARY_DIR}/man/herald.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# Operators' documentation: the README, the Grafana dashboard and the Prometheus alert rules.
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/dashboards/ DESTINATION ${CMAKE_INSTALL_DOCDIR}/dashboards)

# The .deb. Depends: what dpkg-shlibdeps finds for the binary, plus adduser for postinst.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME herald)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "herald developers <herald@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "notification dispatch daemon for public-service case updates")
set(CPACK_PACKAGE_DESCRIPTION
    "herald reads case status changes from a Redis Stream and sends the templated emails and \
text messages they call for through HTTP gateways, only inside each recipient's contact window, \
recording every decision in Redis. It runs under systemd as the herald user.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "redis-server")
# Everything under /etc/herald is a conffile: an upgrade keeps the operator's edits (dpkg asks).
file(GLOB HERALD_EXAMPLE_TEMPLATES RELATIVE ${PROJECT_SOURCE_DIR}/config/templates
     CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/config/templates/*.yaml)
set(HERALD_CONFFILES "${HERALD_CONFIG_DIR}/herald.yaml\n")
foreach(template IN LISTS HERALD_EXAMPLE_TEMPLATES)
  string(APPEND HERALD_CONFFILES "${HERALD_CONFIG_DIR}/templates/${template}\n")
endforeach()
file(GENERATE OUTPUT ${PROJECT_BINARY_DIR}/packaging/conffiles CONTENT "${HERALD_CONFFILES}")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/packaging/debian/postinst ${PROJECT_SOURCE_DIR}/packaging/debian/prerm
    ${PROJECT_SOURCE_DIR}/packaging/debian/postrm ${PROJECT_BINARY_DIR}/packaging/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)
set(CPACK_STRIP_FILES TRUE)  # the build is RelWithDebInfo; the package ships no debug info
include(CPack)
