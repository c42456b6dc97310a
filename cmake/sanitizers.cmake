# -DWSDEMO_SANITIZE=address builds everything with ASan+UBSan, =thread with TSan.
if(WSDEMO_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(WSDEMO_SANITIZE STREQUAL "thread")
  # -Wno-tsan: GCC warns that TSan does not model atomic_thread_fence, which Asio
  # uses; the warning comes from libstdc++ headers and would break -Werror builds.
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer -Wno-tsan)
  add_link_options(-fsanitize=thread)
elseif(NOT WSDEMO_SANITIZE STREQUAL "")
  message(FATAL_ERROR "WSDEMO_SANITIZE must be '', 'address' or 'thread', not '${WSDEMO_SANITIZE}'")
endif()
