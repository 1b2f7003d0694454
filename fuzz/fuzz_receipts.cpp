// libFuzzer target: the delivery receipts herald reads from outside (README, "Delivery
// receipts"): its own JSON (POST /receipts and the receipts stream), Twilio's form-encoded
// status callbacks and SendGrid's event batches, each on arbitrary bytes. Whatever a provider, a
// relay or a holder of the token sends, reading it must not crash, hang or touch memory it does
// not own, and a refusal always says why.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <variant>

#include "herald/event/receipt.hpp"
#include "herald/gateway/sendgrid_receipt.hpp"
#include "herald/gateway/twilio_receipt.hpp"

namespace {

void check(const herald::Receipt& receipt) {
  if (herald::check_receipt_id(receipt.id)) std::abort();  // only ids herald can look up
  if (receipt.attempt && (*receipt.attempt < 1 || *receipt.attempt > herald::kMaxReceiptAttempt))
    std::abort();
}

void check(const herald::ReceiptError& error) {
  if (error.reason.empty()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  auto json = herald::parse_receipt(input);
  if (auto* error = std::get_if<herald::ReceiptError>(&json))
    check(*error);
  else
    check(std::get<herald::Receipt>(json));

  if (auto form = herald::parse_form(input)) {
    auto twilio = herald::twilio_receipt(*form);
    if (auto* error = std::get_if<herald::ReceiptError>(&twilio)) check(*error);
    if (auto* receipt = std::get_if<herald::Receipt>(&twilio)) check(*receipt);
  }

  auto batch = herald::sendgrid_receipts(input);
  if (auto* error = std::get_if<herald::ReceiptError>(&batch)) {
    check(*error);
  } else {
    const auto& events = std::get<herald::SendgridEvents>(batch);
    for (const auto& receipt : events.receipts) check(receipt);
    for (const auto& error : events.malformed) check(error);
  }
  return 0;
}
