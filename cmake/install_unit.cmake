# Run by `cmake --install`: the systemd unit with /usr/local/ replaced by the prefix actually
# installed to (known only now: `cmake --install --prefix` overrides the configured one).
file(READ "${TETHER_UNIT_SOURCE}" unit)
string(REPLACE "/usr/local/" "${CMAKE_INSTALL_PREFIX}/" unit "${unit}")
set(staged "${TETHER_UNIT_STAGING}/tether.service")
file(WRITE "${staged}" "${unit}")
file(INSTALL DESTINATION "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" TYPE FILE FILES "${staged}")
