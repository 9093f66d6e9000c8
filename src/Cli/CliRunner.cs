using System.CommandLine;
using Preconfig.ConfigSpace;

namespace Preconfig.Cli;

/// <summary>Exit codes of the contract: 0 success, 1 "differs" or "failed check", 2 bad usage or unreadable input.</summary>
internal static class ExitCodes
{
    public const int Success = 0;
    public const int Differs = 1;
    public const int Failed = 1;
    public const int Usage = 2;
}

/// <summary>Bad usage or unreadable input: one line naming the file and line or offset; exit 2.</summary>
internal sealed class CliUsageException(string message) : Exception(message);

internal static class CliRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && !IsHelpRequest(args))
        {
            foreach (var error in parse.Errors)
                Console.Error.WriteLine($"preconfig: {error.Message}");
            Console.Error.WriteLine("Try 'preconfig --help'.");
            return ExitCodes.Usage;
        }
        try
        {
            // System.CommandLine's own handler would print a stack trace and exit 1; input errors must exit 2.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (IsInputError(e))
        {
            Console.Error.WriteLine($"preconfig: {e.Message}");
            return ExitCodes.Usage;
        }
    }

    private static bool IsHelpRequest(string[] args) => args.Any(a => a is "--help" or "-h" or "-?");

    /// <summary>Errors that mean "the input could not be read or the usage is wrong" (exit 2), not a bug.</summary>
    private static bool IsInputError(Exception e) => e is CliUsageException or IOException or FormatException
        or InvalidDataException or UnauthorizedAccessException or ArgumentException;
}
