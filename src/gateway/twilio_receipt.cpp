#include "herald/gateway/twilio_receipt.hpp"

#include <algorithm>
#include <array>
#include <charconv>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>

#include "crypto.hpp"
#include "herald/core/secret.hpp"

namespace herald {
namespace {

const std::string* field(const FormFields& fields, std::string_view name) {
  for (const auto& [key, value] : fields)
    if (key == name) return &value;
  return nullptr;
}

constexpr std::array<std::pair<long, ReceiptStatus>, 16> kErrorCodes = {{
    {30003, ReceiptStatus::temporary_failure},
    {30008, ReceiptStatus::temporary_failure},
    {30004, ReceiptStatus::permanent_failure},
    {30005, ReceiptStatus::permanent_failure},
    {30006, ReceiptStatus::permanent_failure},
    {30007, ReceiptStatus::permanent_failure},
    {21211, ReceiptStatus::permanent_failure},
    {21610, ReceiptStatus::permanent_failure},
    {21612, ReceiptStatus::permanent_failure},
    {21614, ReceiptStatus::permanent_failure},
    {30001, ReceiptStatus::technical_failure},
    {30002, ReceiptStatus::technical_failure},
    {30009, ReceiptStatus::technical_failure},
    {30010, ReceiptStatus::technical_failure},
    {30032, ReceiptStatus::technical_failure},  // toll-free number not verified
    {30034, ReceiptStatus::technical_failure},  // sender not registered (US A2P)
}};

}  // namespace

std::optional<FormFields> parse_form(std::string_view body) {
  // Boost 1.81's parse_query also runs strlen over its input, past the end of a view that is not
  // NUL-terminated (found by fuzz_receipts; it parses by the view's size all the same): it reads
  // a terminated copy. A request body is one, but parse_form takes any view.
  const std::string text(body);
  if (!boost::urls::parse_query(text)) return std::nullopt;
  // Constructed from the checked text: Boost 1.81's library lacks the (view, options)
  // constructor its header declares.
  FormFields fields;
  for (auto param : boost::urls::params_view(text, boost::urls::encoding_opts(true)))
    if (!param.key.empty()) fields.emplace_back(std::move(param.key), std::move(param.value));
  return fields;
}

std::string twilio_signature(std::string_view auth_token, std::string_view url, FormFields fields) {
  std::sort(fields.begin(), fields.end());
  std::string data(url);
  for (const auto& [name, value] : fields) data.append(name).append(value);
  return gateway_detail::base64(gateway_detail::hmac_sha1(auth_token, data));
}

bool twilio_signature_matches(std::string_view auth_token, std::string_view url,
                              const FormFields& fields, std::string_view signature) {
  return same_secret(twilio_signature(auth_token, url, fields), signature);
}

std::variant<Receipt, ReceiptInterim, ReceiptError> twilio_receipt(const FormFields& fields) {
  const std::string* sid = field(fields, "MessageSid");
  if (!sid) return ReceiptError{"MessageSid: required"};
  if (auto bad = check_receipt_id(*sid)) return ReceiptError{"MessageSid: " + bad->reason};
  const std::string* status = field(fields, "MessageStatus");
  if (!status) return ReceiptError{"MessageStatus: required"};

  Receipt receipt{.id = *sid};
  if (*status == "delivered" || *status == "read") {
    receipt.status = ReceiptStatus::delivered;
    return receipt;
  }
  for (std::string_view interim : {"accepted", "scheduled", "queued", "sending", "sent",
                                   "receiving", "received", "partially_delivered", "canceled"})
    if (*status == interim) return ReceiptInterim{*status};
  if (*status != "undelivered" && *status != "failed")
    return ReceiptError{"MessageStatus: not one of Twilio's message statuses"};

  receipt.status = *status == "undelivered" ? ReceiptStatus::temporary_failure
                                            : ReceiptStatus::technical_failure;
  if (const std::string* code = field(fields, "ErrorCode"); code && !code->empty()) {
    long number = 0;
    auto [end, ec] = std::from_chars(code->data(), code->data() + code->size(), number);
    if (ec != std::errc() || end != code->data() + code->size())
      return ReceiptError{"ErrorCode: expected a number"};
    for (const auto& [known, verdict] : kErrorCodes)
      if (known == number) receipt.status = verdict;
  }
  return receipt;
}

}  // namespace herald
