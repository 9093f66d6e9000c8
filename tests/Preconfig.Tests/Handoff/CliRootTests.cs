using System.CommandLine;
using Preconfig.Cli;
using Preconfig.FullEdition;

namespace Preconfig.Tests.Handoff;

/// <summary>A command line that asks for no help or version is parsed on a plain root (no ResourceManager at start);
/// it must parse exactly as on the full RootCommand.</summary>
public sealed class CliRootTests
{
    private static Command FullRoot()
    {
        var root = new RootCommand(Verbs.Description);
        foreach (var verb in FullVerbs.All()) root.Subcommands.Add(verb);
        return root;
    }

    [Theory]
    [InlineData("preinit --from a.pcfg --from file:b --target sysfs:/t --policy p.json --kmsg /dev/null")]
    [InlineData("preinit --boot --from initrd:/x --target sysfs --deadline-ms 300 --strict")]
    [InlineData("preinit --target")]
    [InlineData("preinit --bogus --target sysfs")]
    [InlineData("capture --source sysfs:/t --out file:o.pcfg")]
    [InlineData("capture --source")]
    [InlineData("verify blob.pcfg")]
    [InlineData("verify a b")]
    [InlineData("bogus verb")]
    public void A_command_line_without_help_or_version_parses_the_same_on_the_plain_root(string line)
    {
        string[] args = line.Split(' ');
        var plain = FullVerbs.Root(args);
        Assert.IsNotType<RootCommand>(plain);
        var expected = FullRoot().Parse(args);
        var actual = plain.Parse(args);
        // The root's own name is the executable's ("testhost" here, "preconfig" when installed).
        Assert.Equal(Name(expected), Name(actual));
        Assert.Equal(expected.Errors.Select(e => e.Message), actual.Errors.Select(e => e.Message));
        Assert.Equal(expected.Tokens.Select(t => (t.Value, t.Type)), actual.Tokens.Select(t => (t.Value, t.Type)));
        Assert.Equal(expected.UnmatchedTokens, actual.UnmatchedTokens);
    }

    private static string Name(ParseResult parse) => parse.CommandResult.Command == parse.RootCommandResult.Command ? "(root)" : parse.CommandResult.Command.Name;

    [Theory]
    [InlineData("--help")]
    [InlineData("preinit -- --help")]
    [InlineData("preinit -h")]
    [InlineData("--version")]
    [InlineData("[suggest] pre")]
    [InlineData("")]
    public void Anything_that_may_ask_for_help_or_version_gets_the_full_root(string line)
    {
        string[] args = line.Length == 0 ? [] : line.Split(' ');
        Assert.IsType<RootCommand>(FullVerbs.Root(args));
    }
}
