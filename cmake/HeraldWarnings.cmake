# Warnings are errors in herald's own code (not in the Debian headers it includes, which come in
# as SYSTEM include directories).
#
# -Wno-mismatched-new-delete: GCC 12 reports Asio's coroutine frame allocator (aligned_new paired
# with awaitable_frame_base::operator delete) as mismatched in every coroutine that inlines it; a
# false positive (GCC PR 109224), fixed in GCC 13.
function(herald_target target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wno-missing-field-initializers
                                           -Wno-mismatched-new-delete)
  target_compile_features(${target} PUBLIC cxx_std_20)
endfunction()
