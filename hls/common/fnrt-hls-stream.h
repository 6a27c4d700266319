/* hls::stream for the fnrt HLS kernels.
 *
 * With Vitis HLS (hls_stream.h on the include path) this is the real class.  Without it
 * (plain g++ C-simulation, Debian has no Vitis headers) a small FIFO with the same member
 * subset is used: read/write, read_nb/write_nb, empty/full/size, >> and <<.  Like the
 * real class in C-simulation it is unbounded; reading an empty stream is a test-bench
 * bug and aborts with the stream's name (the real class prints a warning and hangs
 * in co-simulation).  Define FNRT_HLS_COMPAT to force the compat version. */
#ifndef FNRT_HLS_STREAM_H
#define FNRT_HLS_STREAM_H

#if !defined(FNRT_HLS_COMPAT) && defined(__has_include)
#if __has_include(<hls_stream.h>)
#define FNRT_HLS_REAL_STREAM 1
#endif
#endif

#ifdef FNRT_HLS_REAL_STREAM
#include <hls_stream.h>
#else
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace hls {

template <typename T> class stream {
  public:
    stream() : name_("stream") {}
    explicit stream(const char *name) : name_(name) {}
    stream(const stream &) = delete;
    stream &operator=(const stream &) = delete;

    T read()
    {
        if (q_.empty()) {
            std::fprintf(stderr, "hls::stream '%s': read from an empty stream\n", name_.c_str());
            std::abort();
        }
        T v = q_.front();
        q_.pop_front();
        return v;
    }
    void read(T &v) { v = read(); }
    bool read_nb(T &v)
    {
        if (q_.empty())
            return false;
        v = read();
        return true;
    }
    void write(const T &v) { q_.push_back(v); }
    bool write_nb(const T &v)
    {
        write(v);
        return true;
    }
    void operator>>(T &v) { v = read(); }
    void operator<<(const T &v) { write(v); }
    bool empty() const { return q_.empty(); }
    bool full() const { return false; }
    std::size_t size() const { return q_.size(); }

  private:
    std::deque<T> q_;
    std::string name_;
};

} // namespace hls
#endif
#endif
