using Netstack.Buffers;

namespace Netstack.Tests.Buffers;

public class ChunkPoolTests
{
    [Theory]
    [InlineData(0, 128)]
    [InlineData(1, 128)]
    [InlineData(128, 128)]
    [InlineData(129, 256)]
    [InlineData(1500, 2048)]
    [InlineData(65536, 65536)]
    public void RentRoundsUpToASizeClass(int request, int expected)
    {
        var pool = new ChunkPool();
        var chunk = pool.Rent(request);
        Assert.Equal(expected, chunk.Capacity);
        Assert.Equal(1, pool.Outstanding);
        chunk.Release();
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void RentRejectsSizesAboveTheLargestClass()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new ChunkPool().Rent(65537));
        Assert.Equal("minimumSize", ex.ParamName);
    }

    [Fact]
    public void ReturnedChunksAreReused()
    {
        var pool = new ChunkPool();
        var a = pool.Rent(100);
        a.Release();
        var b = pool.Rent(100);
        Assert.Same(a, b);
        b.Release();
    }

    [Fact]
    public void ReleasingTwiceThrows()
    {
        var pool = new ChunkPool();
        var a = pool.Rent(100);
        a.AddRef();
        a.Release();
        a.Release();
        Assert.Throws<InvalidOperationException>(a.Release);
    }
}
