// What libphonenumber costs herald per event (BENCHMARKS.md): parse, validate and format a number
// 20,000 times. Not built by CMake; run it by hand:
//   g++ -O2 bench/phone_cost.cpp -o build/phone_cost -lphonenumber && build/phone_cost
#include <phonenumbers/phonenumberutil.h>

#include <chrono>
#include <cstdio>
#include <string>

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

int main() {
  const PhoneNumberUtil& util = *PhoneNumberUtil::GetInstance();
  // The drama number every bench event carries, and a mobile number in an allocated range
  // written two ways (never called: nothing here sends anything).
  for (const char* number : {"+447700900123", "+447911123456", "07911 123456"}) {
    for (bool validate : {false, true}) {
      constexpr int kRuns = 20000;
      int valid = 0;
      const auto start = std::chrono::steady_clock::now();
      for (int i = 0; i < kRuns; ++i) {
        PhoneNumber parsed;
        util.Parse(number, "GB", &parsed);
        if (validate) valid += util.IsValidNumber(parsed);
        std::string e164;
        util.Format(parsed, PhoneNumberUtil::E164, &e164);
      }
      const double us =
          std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
              .count() /
          kRuns;
      std::printf("%-15s %-30s %6.1f us/number (valid: %d of %d)\n", number,
                  validate ? "Parse + IsValidNumber + Format" : "Parse + Format", us, valid,
                  validate ? kRuns : 0);
    }
  }
}
