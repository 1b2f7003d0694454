#include "herald/templating/names.hpp"

#include <gtest/gtest.h>

namespace herald {
namespace {

TEST(FormatName, WritesCapitalsAsFirstLettersOnly) {
  EXPECT_EQ(format_name("KATIE MCNALLY"), "Katie McNally");
  EXPECT_EQ(format_name("JO BLOGGS"), "Jo Bloggs");
}

TEST(FormatName, CapitalisesAnAllLowerCaseName) {
  EXPECT_EQ(format_name("katie mcnally"), "Katie McNally");
  EXPECT_EQ(format_name("jo bloggs"), "Jo Bloggs");
}

TEST(FormatName, KeepsANameAlreadyWrittenWell) {
  EXPECT_EQ(format_name("Katie McNally"), "Katie McNally");
  EXPECT_EQ(format_name("Siân Lloyd"), "Siân Lloyd");
}

TEST(FormatName, AlwaysCapitalisesAfterMc) {
  EXPECT_EQ(format_name("mcdonald"), "McDonald");
  EXPECT_EQ(format_name("Mcdonald"), "McDonald");
  EXPECT_EQ(format_name("MCDONALD"), "McDonald");
}

TEST(FormatName, DoesNotForceMacBecauseMackAndMaceyAreNamesToo) {
  EXPECT_EQ(format_name("MACK"), "Mack");
  EXPECT_EQ(format_name("macey smith"), "Macey Smith");
  EXPECT_EQ(format_name("MARY MACDONALD"), "Mary Macdonald");
}

TEST(FormatName, KeepsMixedCasingTheCustomerChose) {
  EXPECT_EQ(format_name("Mary MacDonald"), "Mary MacDonald");
  EXPECT_EQ(format_name("Danny DeVito"), "Danny DeVito");
}

TEST(FormatName, NormalisesAPartShoutedInsideAMixedCaseName) {
  EXPECT_EQ(format_name("Katie MCNALLY"), "Katie McNally");
  EXPECT_EQ(format_name("Katie McNALLY"), "Katie McNally");
  EXPECT_EQ(format_name("katie McNally"), "Katie McNally");
}

TEST(FormatName, CapitalisesAfterAnOApostrophe) {
  EXPECT_EQ(format_name("sean o'brien"), "Sean O'Brien");
  EXPECT_EQ(format_name("SEAN O'BRIEN"), "Sean O'Brien");
  EXPECT_EQ(format_name("d'arcy"), "D'Arcy");
  EXPECT_EQ(format_name("SEAN O\u2019BRIEN"), "Sean O\u2019Brien");
}

TEST(FormatName, DoesNotCapitaliseAfterAnApostropheInsideAName) {
  EXPECT_EQ(format_name("NG'ANG'A"), "Ng'ang'a");
}

TEST(FormatName, CapitalisesEachPartOfAHyphenatedName) {
  EXPECT_EQ(format_name("ANNE-MARIE JONES"), "Anne-Marie Jones");
  EXPECT_EQ(format_name("jo smith-mcnally"), "Jo Smith-McNally");
}

TEST(FormatName, CapitalisesEachInitial) {
  EXPECT_EQ(format_name("J.R.R. TOLKIEN"), "J.R.R. Tolkien");
}

TEST(FormatName, HandlesWelshLettersWithCircumflexes) {
  EXPECT_EQ(format_name("ŴYN JONES"), "Ŵyn Jones");
  EXPECT_EQ(format_name("ŵyn jones"), "Ŵyn Jones");
  EXPECT_EQ(format_name("ELERI LLŶR"), "Eleri Llŷr");
  EXPECT_EQ(format_name("SIÔN GRUFFÝDD"), "Siôn Gruffýdd");
  EXPECT_EQ(format_name("ÂNEST ÊLIS"), "Ânest Êlis");
  EXPECT_EQ(format_name("ÏOLO ÛNA"), "Ïolo Ûna");
  EXPECT_EQ(format_name("ẀYN ỲR"), "Ẁyn Ỳr");
}

TEST(FormatName, HandlesOtherLatinLetters) {
  EXPECT_EQ(format_name("ZOË ÅSTRÖM"), "Zoë Åström");
  EXPECT_EQ(format_name("łukasz żółć"), "Łukasz Żółć");
  EXPECT_EQ(format_name("STRAßE"), "Straße");
}

TEST(FormatName, WritesWelshApInLowerCase) {
  EXPECT_EQ(format_name("DAFYDD AP GWILYM"), "Dafydd ap Gwilym");
  EXPECT_EQ(format_name("rhys ab owen"), "Rhys ab Owen");
}

TEST(FormatName, KeepsALowerCaseParticleInAMixedCaseName) {
  EXPECT_EQ(format_name("Ludwig van Beethoven"), "Ludwig van Beethoven");
  EXPECT_EQ(format_name("LUDWIG VAN BEETHOVEN"), "Ludwig Van Beethoven");
}

TEST(FormatName, WritesAGenerationalSuffixAsItIsCustomarilyWritten) {
  EXPECT_EQ(format_name("JOHN SMITH JR"), "John Smith Jr");
  EXPECT_EQ(format_name("john smith jr."), "John Smith Jr.");
  EXPECT_EQ(format_name("HENRY FORD III"), "Henry Ford III");
  EXPECT_EQ(format_name("Martin Luther King Sr"), "Martin Luther King Sr");
  // Only after a first name and a surname: a surname that looks like one stays a surname.
  EXPECT_EQ(format_name("JIM IV"), "Jim Iv");
  // The British spellings, and a comma before the suffix.
  EXPECT_EQ(format_name("JOHN SMITH JNR"), "John Smith Jnr");
  EXPECT_EQ(format_name("john smith snr."), "John Smith Snr.");
  EXPECT_EQ(format_name("JOHN SMITH, JR."), "John Smith Jr.");
}

TEST(FormatName, WritesWelshFerchInLowerCase) {
  EXPECT_EQ(format_name("GWENLLIAN FERCH RHYS"), "Gwenllian ferch Rhys");
}

TEST(FormatName, CollapsesAndTrimsWhitespace) {
  EXPECT_EQ(format_name("  katie \t  mcnally  "), "Katie McNally");
  EXPECT_EQ(format_name("katie\u00a0mcnally"), "Katie McNally");
  for (const char* space : {"\u2002", "\u2009", "\u202f", "\u3000"})
    EXPECT_EQ(format_name(std::string("KATIE") + space + "MCNALLY"), "Katie McNally") << space;
}

TEST(FormatName, GivesNothingForAnEmptyName) {
  EXPECT_EQ(format_name(""), "");
  EXPECT_EQ(format_name("   "), "");
}

TEST(FormatName, WritesNamesOfEveryScriptWithCapitalsAsFirstLettersOnly) {
  EXPECT_EQ(format_name("Ștefan Popescu"), "Ștefan Popescu");
  EXPECT_EQ(format_name("ȚURCANU"), "Țurcanu");
  EXPECT_EQ(format_name("ION MUREȘAN"), "Ion Mureșan");
  EXPECT_EQ(format_name("Əliyev"), "Əliyev");
  EXPECT_EQ(format_name("ƏLIYEV"), "Əliyev");
  EXPECT_EQ(format_name("NGUYỄN VĂN AN"), "Nguyễn Văn An");
  EXPECT_EQ(format_name("ИВАН ПЕТРОВ"), "Иван Петров");
  EXPECT_EQ(format_name("ΑΛΈΞΑΝΔΡΟΣ ΠΑΠΑΔΌΠΟΥΛΟΣ"), "Αλέξανδρος Παπαδόπουλος");  // final ς
  EXPECT_EQ(format_name("ǄEMAL"), "ǅemal");  // a digraph's capital is its title case
}

TEST(FormatName, LeavesLettersWithoutCaseAsTheyAre) {
  EXPECT_EQ(format_name("李 小龍"), "李 小龍");
  EXPECT_EQ(format_name("محمد"), "محمد");
}

TEST(FormatName, PassesInvalidUtf8ThroughUnchanged) {
  EXPECT_EQ(format_name("JO \xff\xfe BLOGGS"), "Jo \xff\xfe Bloggs");
}

TEST(AcceptedTitle, NormalisesTheCasingOfAnAcceptedTitle) {
  EXPECT_EQ(accepted_title("MRS"), "Mrs");
  EXPECT_EQ(accepted_title("dr"), "Dr");
  EXPECT_EQ(accepted_title("Ms"), "Ms");
  EXPECT_EQ(accepted_title("prof"), "Prof");
  EXPECT_EQ(accepted_title("REVD"), "Revd");
}

TEST(AcceptedTitle, AcceptsATitleWithATrailingDot) {
  EXPECT_EQ(accepted_title("Dr."), "Dr");
  EXPECT_EQ(accepted_title(" mr. "), "Mr");
}

TEST(AcceptedTitle, DropsMxAndTitlesItDoesNotKnow) {
  EXPECT_EQ(accepted_title("Mx"), "");
  EXPECT_EQ(accepted_title("Captain"), "");
  EXPECT_EQ(accepted_title("Mrs Dr"), "");
  EXPECT_EQ(accepted_title("."), "");
  EXPECT_EQ(accepted_title(""), "");
}

TEST(Salutation, UsesTheAcceptedTitleAndSurname) {
  EXPECT_EQ(salutation("Ms", "KATIE MCNALLY"), "Ms McNally");
  EXPECT_EQ(salutation("dr.", "anne-marie jones"), "Dr Jones");
  EXPECT_EQ(salutation("Mr", "Sean Patrick O'Brien"), "Mr O'Brien");
}

TEST(Salutation, UsesFirstNameAndSurnameForMx) {
  EXPECT_EQ(salutation("Mx", "JO BLOGGS"), "Jo Bloggs");
}

TEST(Salutation, UsesFirstNameAndSurnameWithoutATitle) {
  EXPECT_EQ(salutation("", "jo bloggs"), "Jo Bloggs");
  EXPECT_EQ(salutation("", "Jo Anne Bloggs"), "Jo Bloggs");
}

TEST(Salutation, KeepsParticlesWithTheSurname) {
  EXPECT_EQ(salutation("Mr", "DAFYDD AP GWILYM"), "Mr ap Gwilym");
  EXPECT_EQ(salutation("", "Ludwig van Beethoven"), "Ludwig van Beethoven");
}

TEST(Salutation, KeepsCapitalisedSurnamePrefixesWithTheSurname) {
  EXPECT_EQ(salutation("Mr", "SEÁN Ó BRIAIN"), "Mr Ó Briain");
  EXPECT_EQ(salutation("Ms", "Siobhán Ní Bhriain"), "Ms Ní Bhriain");
  EXPECT_EQ(salutation("Ms", "GWENLLIAN FERCH RHYS"), "Ms ferch Rhys");
  EXPECT_EQ(salutation("Mr", "AHMED AL FARSI"), "Mr Al Farsi");
  EXPECT_EQ(salutation("", "Gerard 't Hooft"), "Gerard 't Hooft");
}

TEST(Salutation, LeavesAGenerationalSuffixOutOfTheSurname) {
  EXPECT_EQ(salutation("Mr", "JOHN SMITH JR"), "Mr Smith");
  EXPECT_EQ(salutation("Mr", "JOHN SMITH JNR"), "Mr Smith");
  EXPECT_EQ(salutation("Mr", "JOHN SMITH, JR."), "Mr Smith");
  EXPECT_EQ(salutation("Dr", "Henry van der Berg iii"), "Dr van der Berg");
  EXPECT_EQ(salutation("", "JOHN SMITH JR"), "John Smith Jr");
  EXPECT_EQ(salutation("Sir", "JOHN SMITH JR"), "Sir John");
}

TEST(Salutation, GreetsSirAndDameByFirstName) {
  EXPECT_EQ(salutation("SIR", "keir starmer"), "Sir Keir");
  EXPECT_EQ(salutation("Dame", "Judi Dench"), "Dame Judi");
}

TEST(Salutation, UsesTheNameAloneWhenItHasOnePart) {
  EXPECT_EQ(salutation("", "CHER"), "Cher");
  EXPECT_EQ(salutation("Ms", "CHER"), "Ms Cher");
}

// DOMAIN.md: "Dear Jo Bloggs", not "Dear Mx Bloggs", also when the case system wrote the title
// into the name.
TEST(Salutation, NeverUsesATitleWrittenInsideTheNameUnlessItIsAccepted) {
  EXPECT_EQ(salutation("Mx", "Mx Jo Bloggs"), "Jo Bloggs");
  EXPECT_EQ(salutation("", "MX JO BLOGGS"), "Jo Bloggs");
  EXPECT_EQ(salutation("", "Rt Hon Jo Bloggs"), "Jo Bloggs");
  EXPECT_EQ(salutation("", "Professor Jo Bloggs"), "Jo Bloggs");
  EXPECT_EQ(salutation("", "Mx Bloggs"), "Bloggs");
}

TEST(Salutation, UsesAnAcceptedTitleWrittenInsideTheNameWhenNoTitleIsGiven) {
  EXPECT_EQ(salutation("", "Dr Jane Smith"), "Dr Smith");
  EXPECT_EQ(salutation("", "MRS. JANE SMITH"), "Mrs Smith");
  EXPECT_EQ(salutation("", "Mr Smith"), "Mr Smith");
  EXPECT_EQ(salutation("", "Sir John Smith"), "Sir John");
  EXPECT_EQ(salutation("Ms", "Mrs Jane Smith"), "Ms Smith") << "the title field wins";
  EXPECT_EQ(salutation("Mr", "Mr John Smith Jr"), "Mr Smith");
}

TEST(FormatName, DropsATitleWrittenInsideTheNameUnlessItIsAccepted) {
  EXPECT_EQ(format_name("MX JO BLOGGS"), "Jo Bloggs");
  EXPECT_EQ(format_name("Dr Jane Smith"), "Dr Jane Smith");
  EXPECT_EQ(format_name("Mx"), "Mx") << "a name is never emptied";
}

TEST(Salutation, IsEmptyWithoutAName) {
  EXPECT_EQ(salutation("Ms", ""), "");
  EXPECT_EQ(salutation("", "  "), "");
}

}  // namespace
}  // namespace herald
