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
    public static int Run(Command root, string[] args)
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
            // Without EnableDefaultExceptionHandler = false, System.CommandLine catches every exception itself and exits 1,
            // so input errors never reach exit 2. Without ProcessTerminationTimeout = null, it takes SIGTERM for an async
            // verb (the daemon) and ends the process with 143 before the host's lifetime has stopped the service and let
            // a store write finish; the host handles SIGTERM itself.
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
        }
        catch (Exception e) when (IsInputError(e))
        {
            Console.Error.WriteLine($"preconfig: {Describe(e)}");
            return ExitCodes.Usage;
        }
    }

    /// <summary>The one-line message. The binary is built with UseSystemResourceKeys, so the runtime's own messages for
    /// a missing file are resource keys: those are said here instead.</summary>
    private static string Describe(Exception e) => e switch
    {
        FileNotFoundException { FileName: { } f } => $"{f}: no such file",
        DirectoryNotFoundException when e.Message.StartsWith("IO_", StringComparison.Ordinal) => "no such directory: " + e.Message[(e.Message.IndexOf(',') + 1)..].Trim(),
        _ => e.Message,
    };

    private static bool IsHelpRequest(string[] args)
    {
        foreach (string a in args)
            if (a is "--help" or "-h" or "-?") return true;
        return false;
    }

    /// <summary>Errors that mean "the input could not be read or the usage is wrong" (exit 2), not a bug.</summary>
    private static bool IsInputError(Exception e) => e is CliUsageException or IOException or FormatException
        or InvalidDataException or UnauthorizedAccessException or ArgumentException;
}
