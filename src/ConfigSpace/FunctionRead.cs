using Preconfig.ConfigSpace.Sysfs;

namespace Preconfig.ConfigSpace;

/// <summary>
/// One function as a capture reads it (<see cref="IPciAccess.ReadFunctions"/>): its bytes (null when they could not
/// be read: <see cref="Failure"/> says why, and <see cref="Removed"/> whether it is gone), whether the kernel handed
/// fewer bytes than the space holds (<see cref="Truncated"/>), and the side information asked for (null
/// <see cref="InfoWarning"/> when it was read; else the bytes are still good and it says why it is missing).
/// </summary>
public readonly record struct FunctionRead(byte[]? Config, bool Truncated, PciFunctionInfo Info, string? Failure, bool Removed, string? InfoWarning)
{
    /// <summary>
    /// The general way, through any <see cref="IPciAccess"/>: <see cref="IPciAccess.Open"/> and the whole space, then
    /// <see cref="IPciAccess.Describe(PciAddress, FunctionInfoParts)"/> of the parts <paramref name="parts"/> names for
    /// those bytes (a backend that describes more than asked, as the simulator does, is cut down to them).
    /// </summary>
    public static FunctionRead Through(IPciAccess access, PciAddress address, Func<ReadOnlySpan<byte>, FunctionInfoParts> parts)
    {
        try
        {
            var space = access.Open(address);
            var config = space.ReadAll();
            bool cut = space is SysfsConfigSpace { Truncated: true };
            var kept = parts(config);
            try
            {
                var info = access.Describe(address, kept);
                info = new PciFunctionInfo((kept & FunctionInfoParts.Driver) != 0 ? info.Driver : null, [],
                    (kept & FunctionInfoParts.Resources) != 0 ? info.Resources : []);
                return new FunctionRead(config, cut, info, null, false, null);
            }
            catch (Exception e) when (e is IOException and not ConfigSpaceAccessException or UnauthorizedAccessException or InvalidDataException)
            {
                // Driver and resources: when they cannot be read the bytes are still good, so only warn.
                return new FunctionRead(config, cut, PciFunctionInfo.Unknown, null, false, e.Message);
            }
        }
        catch (DeviceRemovedException e) { return new FunctionRead(null, false, PciFunctionInfo.Unknown, e.Message, true, null); }
        catch (ConfigSpaceAccessException e) { return new FunctionRead(null, false, PciFunctionInfo.Unknown, e.Message, false, null); }
    }
}
