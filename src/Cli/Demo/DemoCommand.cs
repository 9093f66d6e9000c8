using System.CommandLine;

namespace Preconfig.Cli.Demo;

/// <summary><c>preconfig demo</c>: the main job on the bundled simulated machine.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Capture the bundled simulated machine, let 'the kernel run', crash, run preinit, show before and after");
        command.SetAction(_ =>
        {
            Console.WriteLine("demo: not yet wired");
            return ExitCodes.Success;
        });
        return command;
    }
}
