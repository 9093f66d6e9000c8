using System.Text.RegularExpressions;

namespace Preconfig.Tests.Preinit;

/// <summary>The crash tests' exceptions stay derived from the written policy: every quote a rule gives is in docs/preinit.md.</summary>
public class PolicyExceptionsTests
{
    private static string Normalized(string text) => Regex.Replace(text, @"\s+", " ");

    [Fact]
    public void Every_rule_quotes_docs_preinit_md_word_for_word()
    {
        string doc = Normalized(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "preinit.md")).Replace("`", ""));
        foreach (var rule in PolicyExceptions.Rules)
        {
            var quotes = Regex.Matches(rule.Policy, "\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
            Assert.True(quotes.Count > 0, $"{rule.Name}: quotes nothing from the policy");
            foreach (var piece in quotes.SelectMany(q => q.Split("...", StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
                Assert.True(piece.Length < 4 || doc.Contains(Normalized(piece), StringComparison.Ordinal), $"{rule.Name}: \"{piece}\" is not in docs/preinit.md");
        }
    }
}
