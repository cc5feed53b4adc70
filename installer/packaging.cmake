# Install rules and the CPack .deb package. `cmake --build BUILD --target package` writes
# BUILD/loralab_<version>-1_<arch>.deb; tests/package/check_package.sh builds and checks it.
#
# Installed layout (CMAKE_INSTALL_PREFIX, /usr in the package):
#   bin/loralab, bin/loralab-cli
#   share/loralab/{models/base,datasets}        found by both programs as <exe>/../share/loralab
#   share/applications/io.github.loralab.LoraLab.desktop
#   share/metainfo/io.github.loralab.LoraLab.metainfo.xml
#   share/icons/hicolor/{scalable,16x16,...,512x512}/apps/loralab.{svg,png}
#   share/man/man1/{loralab,loralab-cli}.1.gz
#   share/doc/loralab/{copyright,changelog.Debian.gz}, share/lintian/overrides/loralab
include(GNUInstallDirs)

set(LORALAB_APP_ID io.github.loralab.LoraLab)
set(LORALAB_PACKAGE_RELEASE 1)  # the Debian revision: bump it for a packaging-only change
set(LORALAB_ICON_SIZES 16 22 24 32 48 64 128 256 512)
set(_desktop ${PROJECT_SOURCE_DIR}/resources/desktop)
set(_debian ${PROJECT_SOURCE_DIR}/installer/debian)

install(TARGETS loralab-cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
if(TARGET loralab)
  install(TARGETS loralab RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

# The bundled model and story sets. make_datasets.sh regenerates them in a source tree; it has no
# use in /usr/share.
install(DIRECTORY ${PROJECT_SOURCE_DIR}/resources/models ${PROJECT_SOURCE_DIR}/resources/datasets
        DESTINATION ${CMAKE_INSTALL_DATADIR}/loralab
        FILE_PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
        DIRECTORY_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                              WORLD_READ WORLD_EXECUTE
        PATTERN "*.sh" EXCLUDE)

# Desktop integration: the GUI's menu entry, software-centre metadata and icons.
if(TARGET loralab)
  install(FILES ${_desktop}/${LORALAB_APP_ID}.desktop DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
  install(FILES ${_desktop}/${LORALAB_APP_ID}.metainfo.xml DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
  install(FILES ${_desktop}/loralab.svg DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)

  # PNG sizes rendered from the SVG at build time, so they never drift from it.
  find_package(Qt6 6.4 QUIET COMPONENTS Gui Svg)
  if(TARGET Qt6::Svg)
    add_executable(render_icon ${PROJECT_SOURCE_DIR}/installer/render_icon.cpp)
    target_link_libraries(render_icon PRIVATE Qt6::Gui Qt6::Svg)
    set(_pngs)
    foreach(size IN LISTS LORALAB_ICON_SIZES)
      list(APPEND _pngs ${CMAKE_BINARY_DIR}/icons/${size}x${size}/apps/loralab.png)
    endforeach()
    string(REPLACE ";" " " _sizes_text "${LORALAB_ICON_SIZES}")
    add_custom_command(
      OUTPUT ${_pngs}
      COMMAND render_icon ${_desktop}/loralab.svg ${CMAKE_BINARY_DIR}/icons ${LORALAB_ICON_SIZES}
      DEPENDS render_icon ${_desktop}/loralab.svg
      COMMENT "Rendering loralab.svg to PNG icons (${_sizes_text} px)"
      VERBATIM)
    add_custom_target(icons ALL DEPENDS ${_pngs})
    install(DIRECTORY ${CMAKE_BINARY_DIR}/icons/ DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor)
  else()
    message(WARNING "Qt6 Svg not found (Debian: qt6-svg-dev): the package gets the SVG icon only, "
                    "no PNG sizes")
  endif()
endif()

# Manual pages and Debian docs, gzipped without a time stamp (-n) so rebuilds are reproducible.
find_program(GZIP_PROGRAM gzip REQUIRED)
set(_man_pages loralab-cli)
if(TARGET loralab)
  list(APPEND _man_pages loralab)
endif()
set(_gz_outputs)
foreach(page IN LISTS _man_pages)
  set(_out ${CMAKE_BINARY_DIR}/man/${page}.1.gz)
  add_custom_command(
    OUTPUT ${_out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
    COMMAND ${GZIP_PROGRAM} -9n -c ${PROJECT_SOURCE_DIR}/installer/man/${page}.1 > ${_out}
    DEPENDS ${PROJECT_SOURCE_DIR}/installer/man/${page}.1
    VERBATIM)
  list(APPEND _gz_outputs ${_out})
  install(FILES ${_out} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
endforeach()
set(_changelog ${CMAKE_BINARY_DIR}/debian-doc/changelog.Debian.gz)
add_custom_command(
  OUTPUT ${_changelog}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/debian-doc
  COMMAND ${GZIP_PROGRAM} -9n -c ${_debian}/changelog > ${_changelog}
  DEPENDS ${_debian}/changelog
  VERBATIM)
list(APPEND _gz_outputs ${_changelog})
add_custom_target(package_docs ALL DEPENDS ${_gz_outputs})
install(FILES ${_debian}/copyright ${_changelog} DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/loralab)
install(FILES ${_debian}/lintian-overrides DESTINATION ${CMAKE_INSTALL_DATADIR}/lintian/overrides
        RENAME loralab)

# ---- CPack: one Debian package --------------------------------------------------------------
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME loralab)
set(CPACK_PACKAGE_VENDOR "The LoRA Lab authors")
set(CPACK_PACKAGE_CONTACT "LoRA Lab developers <loralab@example.org>")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "train, compare and blend LoRA adapters on story models")
set(CPACK_PACKAGE_DESCRIPTION
    "LoRA Lab is a desktop application for experimenting with LoRA adapters on small
story-telling language models: it trains adapters while the loss is drawn live,
sweeps rank, alpha and target modules into an SQLite experiment store, blends
adapters while sampling stories, and exports PEFT adapters and merged models.

The package holds the desktop app (loralab), the headless command loralab-cli,
and a bundled 4-million-parameter story model with story datasets in five
styles, so a first run needs no download.")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_RELEASE ${LORALAB_PACKAGE_RELEASE})
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Depends: dpkg-shlibdeps reads the libraries the binaries link (Qt 6, QCustomPlot, LibTorch,
# SQLite, PCRE2, libstdc++...) and adds each one's Debian package with its minimum version. It
# cannot see OpenBLAS, which LibTorch reaches through the libblas alternative: without the
# OpenMP build LibTorch's matmuls run on reference BLAS, ~40x slower.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libopenblas0-openmp")
# Qt Svg draws the scalable window icon (the PNG sizes work without it); Qt Wayland lets the app
# run natively on a Wayland desktop instead of through XWayland.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "libqt6svg6, qt6-wayland")
include(CPack)
