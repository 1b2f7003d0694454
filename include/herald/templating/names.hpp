#pragma once
/// How names are written (CONTRACT.md section 8, DOMAIN.md).
#include <string>
#include <string_view>

namespace herald {

/// Writes a name with the first letter of each part capitalised and the rest lower-case:
/// "KATIE MCNALLY" -> "Katie McNally", "sean o'brien" -> "Sean O'Brien", "ANNE-MARIE JONES" ->
/// "Anne-Marie Jones", "ŴYN AP DAFYDD" -> "Ŵyn ap Dafydd". Mc is always followed by a capital;
/// Mac is not forced (Mack, Macey), but a part already written in mixed case ("MacDonald",
/// "DeVito") keeps its casing, and so does a lower-case particle ("van", "de") in a mixed-case
/// name. Welsh "ap"/"ab" inside a name stay lower-case. A generational suffix after the surname
/// is written as is customary ("JOHN SMITH JR" -> "John Smith Jr", "HENRY FORD III" -> "Henry
/// Ford III"). Whitespace is collapsed and trimmed. Case mapping is Unicode's (ICU), for every
/// script; letters without case are kept as they are. A title leading the name is dropped unless
/// it is an accepted one ("MX JO BLOGGS" -> "Jo Bloggs", "Dr Jane Smith" as it is).
std::string format_name(std::string_view name);

/// The accepted title, normalised ("MRS" -> "Mrs", "dr." -> "Dr"): Mr, Mrs, Miss, Ms, Dr, Prof,
/// Sir, Dame, Lord, Lady, Rev, Revd. Any other title (Mx, unverified or unknown) gives "".
std::string accepted_title(std::string_view title);

/// How a letter greets the recipient: the accepted title and surname ("Ms McNally"), or the first
/// name and surname ("Jo Bloggs") when the title is absent or not accepted; the name alone when it
/// has one part; "" when the name is empty. Sir and Dame take the first name ("Sir Keir"), as is
/// customary. The surname is the last part with any particles before it ("van Beethoven"); a
/// generational suffix is not part of it ("Mr Smith" for "John Smith Jr"). Titles leading the name
/// are not part of it either; the first accepted one among them serves when `title` gives none
/// ("Dr Smith" for "Dr Jane Smith"; "Jo Bloggs" for "Mx Jo Bloggs", whatever `title` says).
std::string salutation(std::string_view title, std::string_view name);

}  // namespace herald
