# Warnings are errors in herald's own code (not in the Debian headers it includes, which come in
# as SYSTEM include directories).
function(herald_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers)
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()
