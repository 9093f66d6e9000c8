using System.IO.Abstractions;
using Preconfig.ConfigCapture.Daemon;

namespace Preconfig.Cli.Daemon;

/// <summary>The daemon's stores, from their specs.</summary>
internal static class DaemonStores
{
    public static IStoreTarget Create(string spec, DaemonSettings settings, IFileSystem fs) =>
        throw new CliUsageException($"store '{spec}': the handoff stores are not merged into this build yet");
}
