using System.CommandLine;
using Preconfig.ConfigSpace.Sysfs;

namespace Preconfig.Cli.Preinit;

/// <summary>
/// <c>preconfig reset-child PATH TEXT</c>, internal and hidden: the child process preinit starts to write a sysfs
/// <c>reset</c> attribute, so that a reset the kernel sleeps in (up to 60 s) holds only this process, which preinit
/// abandons at its bound (<see cref="ResetChild"/>). Exit 0 when the write succeeded, 1 with the errno text on stderr.
/// </summary>
internal static class ResetChildCommand
{
    public static Command Create()
    {
        var path = new Argument<string>("path") { Description = "The sysfs attribute" };
        var text = new Argument<string>("text") { Description = "What to write" };
        var command = new Command(ResetChild.Verb, "Internal: write a sysfs reset attribute for preinit (a child it may abandon)") { Hidden = true };
        command.Arguments.Add(path);
        command.Arguments.Add(text);
        command.SetAction(pr => ResetChild.WriteAttribute(pr.GetValue(path)!, pr.GetValue(text)!, Console.Error, Console.Out));
        return command;
    }
}
